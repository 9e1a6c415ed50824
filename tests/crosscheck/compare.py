"""Comparing the plain-Python rulebook (rulebook.py) with the dbt marts, row by row and exactly.

Shared by the crosscheck integration tests: each side becomes {key: tuple of fields} for one quarter, and the
differences are listed readably (the first few only) when they do not agree.
"""

from __future__ import annotations

from tests.crosscheck.rulebook import QuarterResult

DEPT_FIELDS = ("score", "rank_in_class", "grade", "vetoed")
CADRE_FIELDS = ("dept_code", "individual_score", "grade", "grade_reason")
SHOW = 10  # differing rows printed on failure


def rulebook_rows(result: QuarterResult) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(departments, cadres) of the rulebook's quarter, keyed by dept_code and cadre_id, fields as above."""
    departments = {d: (r.score, r.rank_in_class, r.grade, r.vetoed) for d, r in result.departments.items()}
    cadres = {c: (r.dept_code, r.individual_score, r.grade, r.grade_reason) for c, r in result.cadres.items()}
    return departments, cadres


def mart_rows(conn, quarter: str) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(departments, cadres) of the marts for the quarter, in the shape of `rulebook_rows`."""
    departments = conn.execute(
        f"select dept_code, {', '.join(DEPT_FIELDS)} from marts.dept_quarter_scores where quarter = %s", (quarter,)
    ).fetchall()
    cadres = conn.execute(
        f"select cadre_id, {', '.join(CADRE_FIELDS)} from marts.cadre_quarter_grades where quarter = %s", (quarter,)
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in departments}, {r[0]: tuple(r[1:]) for r in cadres}


def differences(expected: dict[str, tuple], actual: dict[str, tuple], fields: tuple[str, ...]) -> list[str]:
    """Readable lines for the keys whose values differ, or that only one side has."""
    lines = []
    for key in sorted(expected.keys() | actual.keys()):
        mine, mart = expected.get(key), actual.get(key)
        if mine == mart:
            continue
        if mine is None or mart is None:
            lines.append(f"  {key}: {'only in the marts' if mine is None else 'missing from the marts'}")
            continue
        changed = ", ".join(
            f"{name} rulebook={m!s} mart={a!s}" for name, m, a in zip(fields, mine, mart, strict=True) if m != a
        )
        lines.append(f"  {key}: {changed}")
    return lines


def report(what: str, lines: list[str], total: int) -> str:
    return f"{len(lines)} of {total} {what} differ from the rulebook; the first {min(SHOW, len(lines))}:\n" + "\n".join(
        lines[:SHOW]
    )
