"""``kaohe explain``: "why did I get a C?", answered from the warehouse alone.

Reads the public marts: the grade and the rule that decided it
(``marts.grade_decisions``), every contribution to the score with its source
row (``marts.score_lineage``, whose points add up to the score exactly). A quarter
whose last day has not been run yet is said to be provisional (the marts' is_final).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from kaohe.warehouse import connect

if TYPE_CHECKING:
    import psycopg


class NotFound(LookupError):
    pass


def _lineage(conn: psycopg.Connection, quarter: str, dept_code: str, cadre_id: str | None) -> list[tuple]:
    return conn.execute(
        "select component, points, source from marts.score_lineage"
        " where quarter = %s and dept_code = %s and cadre_id is not distinct from %s order by line_no",
        (quarter, dept_code, cadre_id),
    ).fetchall()


def _points_lines(rows: list[tuple]) -> tuple[list[str], Decimal]:
    lines, total = [], Decimal(0)
    for component, points, source in rows:
        total += points
        lines.append(f"  {points:>+10}  {component:<28} {source}")
    return lines, total


def _provisional(quarter: str, as_of_date, is_final: bool) -> list[str]:
    """The line that says a quarter in progress is provisional; nothing for a final quarter."""
    if is_final:
        return []
    return [f"as of {as_of_date}, provisional: {quarter} is in progress (进行中), its figures can still change"]


def explain_dept(dept_code: str, quarter: str, url: str | None = None) -> str:
    with connect(url) as conn:
        row = conn.execute(
            "select dept_name, dept_class, score, rank_in_class, grade, vetoed, flags, as_of_date, is_final"
            " from marts.dept_quarter_scores where dept_code = %s and quarter = %s",
            (dept_code, quarter),
        ).fetchone()
        if row is None:
            raise NotFound(f"no score for department {dept_code} in {quarter}")
        name, dept_class, score, rank, grade, vetoed, flags, as_of_date, is_final = row
        decision = conn.execute(
            "select decided_by, explanation from marts.grade_decisions"
            " where subject_type = 'dept' and dept_code = %s and quarter = %s",
            (dept_code, quarter),
        ).fetchone()
        lines, total = _points_lines(_lineage(conn, quarter, dept_code, None))
    out = [
        f"{dept_code} {name} ({dept_class}) — {quarter}",
        f"score {score} · rank {rank} in class · grade {grade}{' · vetoed (纪律处分)' if vetoed else ''}"
        + (f" · flags: {', '.join(flags)}" if flags else ""),
        *_provisional(quarter, as_of_date, is_final),
        "",
        "How the score was made (points · component · source):",
        *lines,
        f"  {'=':>10}  total {total}",
    ]
    if decision:
        out += ["", f"Grade decided by: {decision[0]}", f"  {decision[1]}"]
    return "\n".join(out)


def explain_cadre(cadre_id: str, quarter: str, url: str | None = None) -> str:
    with connect(url) as conn:
        row = conn.execute(
            "select name, dept_code, role, individual_score, grade, grade_reason, flags, dept_score, dept_grade,"
            " as_of_date, is_final from marts.cadre_quarter_grades where cadre_id = %s and quarter = %s",
            (cadre_id, quarter),
        ).fetchone()
        if row is None:
            raise NotFound(f"no grade for cadre {cadre_id} in {quarter} (not active in the roster at quarter end?)")
        name, dept, role, individual, grade, reason, flags, dept_score, dept_grade, as_of_date, is_final = row
        decision = conn.execute(
            "select decided_by, explanation from marts.grade_decisions"
            " where subject_type = 'cadre' and cadre_id = %s and quarter = %s",
            (cadre_id, quarter),
        ).fetchone()
        lines, total = _points_lines(_lineage(conn, quarter, dept, cadre_id))
        versions = conn.execute(
            "select version, status, published_at, grade, multiplier, adjusted_pay, adjustment, delta_to_pay"
            " from payroll.quarterly_adjustments where cadre_id = %s and quarter = %s order by version",
            (cadre_id, quarter),
        ).fetchall()
        # the current pay result, as dbt computes it for payroll (rule 4): one place for the rule
        pay = conn.execute(
            "select base_pay, multiplier, adjusted_pay, adjustment from intermediate.int_payroll__quarter_adjustments"
            " where cadre_id = %s and quarter = %s",
            (cadre_id, quarter),
        ).fetchone()
    out = [
        f"{cadre_id} {name} — {dept} · {role} — {quarter}",
        f"grade {grade} (reason: {reason})" + (f" · flags: {', '.join(flags)}" if flags else ""),
        f"department {dept}: score {dept_score}, grade {dept_grade}",
        *_provisional(quarter, as_of_date, is_final),
    ]
    if individual is not None:
        out += ["", "Individual score (points · component · source):", *lines, f"  {'=':>10}  total {total}"]
    if decision:
        out += ["", f"Grade decided by: {decision[0]}", f"  {decision[1]}"]
    if pay:
        pay_base, multiplier, adjusted, adjustment = pay
        out += [
            "",
            f"Pay (rule 4): base {pay_base} × {multiplier.normalize()} ({grade}) = {adjusted}"
            f" (adjustment {adjustment:+})",
        ]
    if versions:
        out.append("Payroll versions (payroll.quarterly_adjustments):")
        for version, _status, published_at, v_grade, _v_multiplier, adjusted_pay, adjustment, delta in versions:
            when = f"published {published_at:%Y-%m-%d %H:%M}" if published_at else "draft (not yet published)"
            out.append(
                f"  v{version} {when}: grade {v_grade or '— (no longer graded)'}, adjusted pay {adjusted_pay},"
                f" adjustment {adjustment:+}, to pay {delta:+}"
            )
    elif grade:
        out.append("Payroll: no draft yet (the quarter's last day has not been run)")
    return "\n".join(out)
