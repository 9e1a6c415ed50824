"""The targets of issue 6, checked against a run's figures, and the table run.py prints."""

from __future__ import annotations

import os
import platform

from .children import HISTORY_DBT_BUILDS

TARGETS = {
    "load_vs_psql": 0.7,  # loading ≥ 0.7x the psql \copy rate
    "load_vs_pandas": 15.0,  # and ≥ 15x the pandas rate
    "validate_db_rows_s": 100_000,  # validation plus quarantine, database side
    "district_airflow_s": 45.0,  # a district day from landing to marts, including Airflow
    "province_s": 180.0,  # a province day
    "further_day_s": 10.0,  # each further district day in a range run
    "day366_ratio": 1.2,  # day 366 of a year of history vs day 1
    "memory_ratio": 2.0,  # peak memory for a 10x larger file: flat (well under 10x)
}


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average at start {os.getloadavg()[0]:.1f}"
    )


def _rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def load_figures(result: dict) -> dict:
    """Our loader on the CSV files vs the baselines on the same files."""
    csv_part = result["load_by_format"].get("csv", {"seconds": 0.0, "rows": 0})
    ours = _rate(csv_part["rows"], csv_part["seconds"])
    psql = _rate(result["psql"]["rows"], result["psql"]["seconds"])
    pandas = _rate(result["pandas"]["rows"], result["pandas"]["seconds"])
    return {"ours": ours, "psql": psql, "pandas": pandas, "vs_psql": ours / psql, "vs_pandas": ours / pandas}


def evaluate(report: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for every target of the issue that this run measured."""
    t = TARGETS
    checks = []
    for scale, result in report["scales"].items():
        lf = load_figures(result)
        checks.append(
            (
                f"{scale}: loading ≥ {t['load_vs_psql']}x psql \\copy",
                f"{lf['vs_psql']:.2f}x ({lf['ours']:,.0f} vs {lf['psql']:,.0f} rows/s)",
                lf["vs_psql"] >= t["load_vs_psql"],
            )
        )
        checks.append(
            (
                f"{scale}: loading ≥ {t['load_vs_pandas']:.0f}x pandas",
                f"{lf['vs_pandas']:.1f}x ({lf['pandas']:,.0f} rows/s)",
                lf["vs_pandas"] >= t["load_vs_pandas"],
            )
        )
        db_rate = _rate(result["rows"], result["validate_db_seconds"])
        checks.append(
            (
                f"{scale}: validation + quarantine ≥ {t['validate_db_rows_s']:,} rows/s (database side)",
                f"{db_rate:,.0f} rows/s ({result['validate_db_seconds']:.1f}s in SQL, "
                f"{result['stages']['validate']:.1f}s wall)",
                db_rate >= t["validate_db_rows_s"],
            )
        )
    if "province" in report["scales"]:
        total = report["scales"]["province"]["stages"]["total"]
        checks.append(
            (f"province day ≤ {t['province_s']:.0f}s", f"{total:.0f}s (in process, warm)", total <= t["province_s"])
        )
    if "airflow" in report:
        a = report["airflow"]
        checks.append(
            (
                f"district day, landing to marts, with Airflow ≤ {t['district_airflow_s']:.0f}s",
                f"{a['first_day_wall_s']:.1f}s (kaohe run, cold process)",
                a["first_day_wall_s"] <= t["district_airflow_s"],
            )
        )
        worst = max(a["further_days_s"]) if a["further_days_s"] else float("nan")
        checks.append(
            (
                f"each further district day in a range run ≤ {t['further_day_s']:.0f}s",
                " / ".join(f"{s:.1f}s" for s in a["further_days_s"]),
                worst <= t["further_day_s"],
            )
        )
    if "history" in report:
        h = report["history"]
        ratio = h["day366_run"]["stages"]["total"] / h["day1_run"]["stages"]["total"]
        checks.append(
            (
                f"day 366 ≤ {t['day366_ratio']}x day 1",
                f"{ratio:.2f}x ({h['day366_run']['stages']['total']:.1f}s vs {h['day1_run']['stages']['total']:.1f}s)",
                ratio <= t["day366_ratio"],
            )
        )
    if "memory" in report:
        m = report["memory"]
        ratio = m["large"]["peak_rss"] / m["small"]["peak_rss"]
        checks.append(
            (
                f"peak memory, 10x larger file: < {t['memory_ratio']:.0f}x (flat)",
                f"{ratio:.2f}x ({m['small']['peak_rss'] / 2**20:.0f} → {m['large']['peak_rss'] / 2**20:.0f} MB)",
                ratio < t["memory_ratio"],
            )
        )
    return checks


def print_report(report: dict, checks) -> None:
    mb = 2**20
    print(f"\nKaohe benchmark — landing day {report['day']} at each scale — {report['machine']}")
    header = (
        f"{'scale':<9}{'files':>7}{'rows':>10}{'discover':>10}{'load':>8}{'validate':>10}{'dbt':>8}"
        f"{'total':>8}{'rows/s':>9}{'peak MB':>9} | {'load r/s':>9}{'psql r/s':>10}{'pandas r/s':>11}"
        f"{'vs psql':>8}{'vs pandas':>10}"
    )
    print(header)
    print("-" * len(header))
    for scale, r in report["scales"].items():
        s, lf = r["stages"], load_figures(r)
        peak = max(r["peak_rss"].values()) / mb
        print(
            f"{scale:<9}{r['files']:>7}{r['rows']:>10,}{s['discover']:>9.2f}s{s['load']:>7.2f}s"
            f"{s['validate']:>9.2f}s{s['dbt']:>7.2f}s{s['total']:>7.1f}s{_rate(r['rows'], s['total']):>9,.0f}"
            f"{peak:>9.0f} | {lf['ours']:>9,.0f}{lf['psql']:>10,.0f}{lf['pandas']:>11,.0f}"
            f"{lf['vs_psql']:>7.2f}x{lf['vs_pandas']:>9.1f}x"
        )
    if "airflow" in report:
        a = report["airflow"]
        print(
            f"{'Airflow':<9}kaohe run, {a['dates']} district days in one process: first day "
            f"{a['first_day_wall_s']:.1f}s from process start (landing to marts), further days "
            + ", ".join(f"{x:.1f}s" for x in a["further_days_s"])
            + f"; whole run {a['wall_s']:.1f}s"
            + f" (before it, once per install: airflow db migrate {a['migrate_s']:.1f}s)"
        )
    if "history" in report:
        h = report["history"]
        d1, d366 = h["day1_run"]["stages"], h["day366_run"]["stages"]
        print(
            f"{'history':<9}day 1 ({h['day1']}) vs day 366 ({h['day366']}), district: "
            + ", ".join(f"{k} {d1[k]:.2f}s → {d366[k]:.2f}s" for k in ("load", "validate", "dbt", "total"))
            + f" ({h['history_rows']:,} history rows; dbt: the median of {HISTORY_DBT_BUILDS} builds)"
        )
    if "memory" in report:
        m = report["memory"]
        print(
            f"{'memory':<9}one CSV of {m['small']['rows']:,} rows: peak {m['small']['peak_rss'] / mb:.0f} MB; "
            f"{m['large']['rows']:,} rows: peak {m['large']['peak_rss'] / mb:.0f} MB "
            f"(loaded at {_rate(m['large']['rows'], m['large']['seconds']):,.0f} rows/s)"
        )
    print(
        "\nrows/s = rows read ÷ total; peak MB = the process's peak RSS during the stages. load r/s, psql, pandas: "
        "the day's CSV files\n(the same rows; xlsx files are loaded too, but not comparable with \\copy). "
        "Stage times are warm, in process\n(imports, dbt parse, GX templates paid once per process, as in a range "
        "run: " + ", ".join(f"{k} {v['warm_up_s']:.0f}s" for k, v in report["scales"].items()) + ")."
    )
    print("\ntargets")
    for target, measured, ok in checks:
        print(f"  {'MET   ' if ok else 'MISSED'} {target:<62} {measured}")
    d = report["durations"]
    generated_now = {k: v["generate_s"] for k, v in report["scales"].items() if v.get("generate_s")}
    if generated_now:
        print("\nlanding trees generated in this run: " + ", ".join(f"{k} {v:.1f}s" for k, v in generated_now.items()))
    print(
        "\nbenchmark time: "
        + ", ".join(
            [f"{k} {v['bench_s']:.0f}s" for k, v in report["scales"].items()]
            + [f"{k} {v:.0f}s" for k, v in d.items() if k != "all"]
        )
        + f"; all {d['all']:.0f}s"
    )
