"""What each task of the daily DAG does, as plain functions.

The DAG file only wires these together; they are importable and tested
without Airflow. Heavy imports (GX, dbt) happen inside the functions, never at
DAG parse time.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from pathlib import Path

from kaohe.settings import BUSINESS_TZ, settings
from kaohe.writer_lock import writer_lock


def business_date_of(logical_date: datetime | None, explicit: str | None = None) -> date:
    """The business date is China's date of the run's logical date (or given explicitly)."""
    if explicit:
        return date.fromisoformat(str(explicit))
    if logical_date is None:
        raise ValueError("no business date: the run has no logical date and none was given")
    import pendulum

    return pendulum.instance(logical_date).in_timezone(BUSINESS_TZ).date()


def landing_root(explicit: str | None = None) -> Path:
    root = explicit or settings().landing
    if not root:
        raise RuntimeError("no landing root: pass --landing (kaohe run) or set KAOHE_LANDING")
    return Path(root)


def discover(landing: Path, business_date: date) -> dict:
    from kaohe.landing import discover as discover_files

    files = discover_files(landing, business_date)
    return {
        "business_date": business_date.isoformat(),
        "folder_exists": (landing / business_date.isoformat()).is_dir(),
        "files": [f.name for f in files],
        "unusable": {f.name: f.problem for f in files if f.problem},
    }


def load(landing: Path, business_date: date, url: str | None = None) -> dict:
    from kaohe.loader import load_date

    with writer_lock("load", business_date, url):
        outcomes = load_date(landing, business_date, url)
    return {
        "loaded": sum(o.status == "pending" for o in outcomes),
        "unchanged": sum(o.status == "unchanged" for o in outcomes),
        "rejected": {o.file: o.reason for o in outcomes if o.status == "rejected"},
        "rows_read": sum(o.rows_read for o in outcomes),
    }


def validate(business_date: date, url: str | None = None) -> dict:
    from kaohe.validation.data_docs import index_page
    from kaohe.validation.runner import validate_date

    with writer_lock("validate", business_date, url):
        results = validate_date(business_date, url)
    return {
        "kinds": {
            r.kind: {"rows_read": r.rows_read, "rows_quarantined": r.rows_quarantined, "rules": r.failed_rules}
            for r in results
        },
        "data_docs": str(index_page(business_date, url)) if results else None,
    }


def transform(business_date: date, url: str | None = None) -> dict:
    """The marts as of the high-water mark; the date's own rows of the per-date marts as of the date."""
    from kaohe.transform import TransformError, build_date

    with writer_lock("transform", business_date, url):
        result = build_date(business_date.isoformat(), url)
    if not result.success:
        raise TransformError("dbt build failed: " + "; ".join(result.failures[:5]))
    return {"nodes": result.nodes}


def payroll(business_date: date, url: str | None = None) -> dict:
    """Rewrite the draft pay adjustments of every quarter whose last day has now been run."""
    from kaohe.payroll import refresh_drafts

    with writer_lock("payroll", business_date, url):
        return refresh_drafts(business_date, url)


def publish(quarter: str, dry_run: bool = False, url: str | None = None) -> dict:
    """`kaohe publish` and the kaohe_publish DAG: publish the quarter's drafts, then rebuild
    the annual results, which read the latest published grades (section 7)."""
    from kaohe.payroll import high_water_mark
    from kaohe.payroll import publish as publish_quarter
    from kaohe.transform import TransformError, build
    from kaohe.warehouse import connect

    # a dry run only reads (the drafts change in one transaction): it does not queue behind a backfill
    with writer_lock("publish", quarter, url) if not dry_run else contextlib.nullcontext():
        publication = publish_quarter(quarter, url, dry_run=dry_run)
        # also when nothing was left to publish: a publish killed after its commit has not rebuilt them yet
        if not dry_run:
            with connect(url) as conn:
                mark = high_water_mark(conn)  # as every build: the warehouse as of its high-water mark
            assert mark is not None, "publish_quarter publishes only a quarter whose last day has been run"
            rebuilt = build(url, business_date=mark.isoformat(), select="cadre_annual_results")
            if not rebuilt.success:
                raise TransformError(
                    f"{publication.message}, but cadre_annual_results could not be rebuilt: "
                    + "; ".join(rebuilt.failures[:3])
                )
    return {
        "quarter": publication.quarter,
        "version": publication.version,
        "rows": publication.rows,
        "total_delta": str(publication.total_delta),
        "message": publication.message,
    }


def notice(business_date: date, url: str | None = None) -> dict:
    """The daily notice (日督查日通报) for the date, from the marts just built."""
    from kaohe.notice import render_notice

    with writer_lock("notice", business_date, url):  # read while no writer is half-way (one run's marts)
        return {"notice": str(render_notice(business_date, url))}


def summary(business_date: date, url: str | None = None) -> dict:
    """Files and rows per kind for the date, straight from the file ledger, and the date's GX Data Docs."""
    from kaohe.validation.data_docs import index_page
    from kaohe.warehouse import connect

    with connect(url) as conn:
        rows = conn.execute(
            """select kind,
                      count(*) filter (where status <> 'rejected') as files,
                      count(*) filter (where status = 'rejected') as files_rejected,
                      coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
               from quarantine.file_loads
               where business_date = %s and status in ('loaded', 'rejected')
               group by kind order by kind""",
            (business_date,),
        ).fetchall()
    docs = index_page(business_date, url)
    return {
        "business_date": business_date.isoformat(),
        "data_docs": str(docs) if docs.exists() else None,
        "kinds": {
            k: {
                "files": f,
                "files_rejected": fr,
                "rows_read": int(r),
                "rows_loaded": int(loaded),
                "rows_quarantined": int(q),
            }
            for k, f, fr, r, loaded, q in rows
        },
    }
