"""The ``kaohe`` operator command.

Works against ``KAOHE_WAREHOUSE_URL`` or, when unset, the embedded warehouse
the project starts itself. Exit 0 on success; non-zero with a one-line reason.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from kaohe.settings import settings, state_dir

# A week across a quarter end: quarter scores, evaluations and commendations included.
DEMO_START = date(2026, 9, 26)
DEMO_END = date(2026, 10, 2)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def cmd_warehouse(args) -> int:
    from kaohe.warehouse import EmbeddedWarehouse

    configured = settings().warehouse_url
    if configured and args.action != "url":
        print("KAOHE_WAREHOUSE_URL is set: the embedded warehouse is not in use")
        return 0
    embedded = EmbeddedWarehouse.default()
    if args.action == "url":
        print(configured or embedded.url())
    elif args.action == "start":
        print(embedded.start())
    elif args.action == "stop":
        print("stopped" if embedded.stop() else "not running")
    else:
        running = embedded.running()
        print(
            f"embedded warehouse: {'running' if running else 'stopped'} at {embedded.url()} (data: {embedded.data_dir})"
        )
    return 0


def cmd_district(args) -> int:
    from kaohe.districts import register, registered
    from kaohe.warehouse import connect

    with connect() as conn:
        if args.action == "add":
            if not args.code or not args.name:
                raise SystemExit("kaohe district add: give the code and its name: kaohe district add HB --name 汉滨区")
            district = register(conn, args.code, args.name, args.city)
            print(f"registered {district.code} {district.name}" + (f" ({district.city})" if district.city else ""))
            from kaohe.access import district_roles
            from kaohe.warehouse import embedded_passfile_of

            roles = ", ".join(district_roles(district.code))
            if embedded_passfile_of(conn):
                print(f"  reader roles {roles}: passwords in the embedded warehouse's passfile")
            else:
                print(f"  reader roles {roles}: set their passwords (ALTER ROLE … PASSWORD …) before they log in")
            print(f"  its files: <landing root>/{district.code}/<YYYY-MM-DD>/")
            return 0
        districts = registered(conn)
    print(f"{'code':<14}{'name':<16}{'city':<12}default")
    for d in districts:
        print(f"{d.code:<14}{d.name:<16}{d.city or '':<12}{'yes' if d.is_default else ''}")
    return 0


def cmd_generate(args) -> int:
    from kaohe.generator import generate

    summary = generate(
        Path(args.landing),
        args.date_from,
        args.date_to or args.date_from,
        seed=args.seed,
        bad_rows=args.bad_rows,
        scale=args.scale,
    )
    print(f"generated {args.scale} landing tree in {args.landing}: {summary}")
    return 0


def _print_date(result) -> None:
    kinds = result.summary.get("kinds", {})
    read = sum(k["rows_read"] for k in kinds.values())
    quarantined = sum(k["rows_quarantined"] for k in kinds.values())
    rejected = sum(k["files_rejected"] for k in kinds.values())
    files = sum(k["files"] for k in kinds.values())
    print(
        f"{result.business_date}  ok  {files} files ({rejected} rejected), {read} rows read, "
        f"{read - quarantined} loaded, {quarantined} quarantined  [{result.seconds:.1f}s]",
        flush=True,
    )


def cmd_run(args) -> int:
    from kaohe.airflow_runner import run_dates
    from kaohe.warehouse import warehouse_url

    landing = Path(args.landing)
    if not landing.is_dir():
        raise SystemExit(f"kaohe run: landing root {landing} does not exist")
    run_dates(landing, args.date_from, args.date_to or args.date_from, warehouse_url(), on_date=_print_date)
    return 0


def cmd_demo(args) -> int:
    import time

    from kaohe.airflow_runner import run_dates
    from kaohe.generator import generate
    from kaohe.warehouse import warehouse_url

    started = time.perf_counter()
    landing = state_dir() / "demo" / "landing"
    marker = landing / f".generated-{DEMO_START}-{DEMO_END}"
    if not marker.exists():
        print(f"generating the sample district (安康高新区) {DEMO_START} … {DEMO_END} into {landing}", flush=True)
        generate(landing, DEMO_START, DEMO_END, seed=7, bad_rows=True)
        marker.touch()
    url = warehouse_url()
    print(f"warehouse: {url}", flush=True)
    results = run_dates(landing, DEMO_START, DEMO_END, url, on_date=_print_date)
    print_demo_summary(url, results, time.perf_counter() - started)
    return 0


def print_demo_summary(url: str, results, seconds: float) -> None:
    from kaohe.warehouse import connect

    with connect(url) as conn:
        per_kind = conn.execute(
            """select kind, count(*) filter (where status <> 'rejected'), count(*) filter (where status = 'rejected'),
                      coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
               from quarantine.file_loads where status in ('loaded', 'rejected') group by kind order by kind"""
        ).fetchall()
        scored = conn.execute(
            "select quarter, count(*) filter (where score is not null), count(*) from marts.dept_quarter_scores"
            " group by quarter order by quarter"
        ).fetchall()
    print("\nKaohe demo — summary")
    print(f"{'kind':<26}{'files':>7}{'rejected':>10}{'rows read':>11}{'loaded':>9}{'quarantined':>13}")
    for kind, files, rejected, read, loaded, quarantined in per_kind:
        print(f"{kind:<26}{files:>7}{rejected:>10}{read:>11}{loaded:>9}{quarantined:>13}")
    for quarter, n_scored, n_all in scored:
        print(f"departments scored in {quarter}: {n_scored} of {n_all}")
    print(f"\n{len(results)} business dates run in {seconds:.0f}s. Where to look next:")
    print(
        f'  marts:       psql "{url}" -c \'select * from marts.dept_quarter_scores order by quarter, dept_class,'
        " rank_in_class'"
    )
    print("  quarantine:  select file, row_number, rule, message from quarantine.rejected_rows")
    from kaohe.validation.data_docs import index_page

    last_docs = results[-1].summary.get("data_docs") if results else None
    print(f"  data docs:   {last_docs or index_page(url=url)}  (every date: {index_page(url=url)})")
    if results and results[-1].summary.get("notice"):
        print(f"  daily notice (日督查日通报): {results[-1].summary['notice']}")


def cmd_explain(args) -> int:
    from kaohe.explain import explain_cadre, explain_dept

    print(
        explain_cadre(args.cadre.upper(), args.quarter.upper())
        if args.cadre
        else explain_dept(args.dept.upper(), args.quarter.upper())
    )
    return 0


def cmd_publish(args) -> int:
    from kaohe.pipeline import publish

    print(publish(args.quarter, dry_run=args.dry_run)["message"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaohe", description="Kaohe (考核): the assessment warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("warehouse", help="the embedded warehouse: status | start | stop | url")
    p.add_argument("action", choices=["status", "start", "stop", "url"])
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("district", help="the districts of the network: add CODE --name 名称 [--city 市] | list")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("code", nargs="?", help="2–12 letters and digits, starting with a letter (add)")
    p.add_argument("--name", help="the district's name, e.g. 汉滨区 (add)")
    p.add_argument("--city", help="the city it belongs to, a display label (add)")
    p.set_defaults(func=cmd_district)

    p = sub.add_parser("generate", help="write a sample district's landing tree")
    p.add_argument("--landing", required=True)
    p.add_argument("--from", dest="date_from", type=_date, required=True)
    p.add_argument("--to", dest="date_to", type=_date)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bad-rows", action="store_true", help="plant rows that break the contract")
    p.add_argument("--scale", choices=["district", "city", "province"], default="district")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("run", help="run the daily DAG for each business date in the range, in order")
    p.add_argument("--landing", required=True)
    p.add_argument("--from", dest="date_from", type=_date, required=True)
    p.add_argument("--to", dest="date_to", type=_date)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("explain", help="how a score and grade came about, point by point")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--cadre")
    who.add_argument("--dept")
    p.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("publish", help="publish a quarter's draft pay adjustments as its next version")
    p.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    p.add_argument("--dry-run", action="store_true", help="say what would be published, publish nothing")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("demo", help="generate a sample district and run it end to end on the embedded warehouse")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os
    import warnings

    # Operators read one line per date; library deprecation chatter is for developers.
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("kaohe: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - one-line reason for operators
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"kaohe {args.command}: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
