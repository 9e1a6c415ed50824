"""GX Data Docs, one small site per business date: ``<warehouse>/gx/data_docs/<YYYY-MM-DD>/index.html``.

``<warehouse>`` is the folder of the warehouse validated (kaohe.outputs): ``.kaohe`` for the embedded
warehouse's own database, ``.kaohe/warehouses/<host>_<port>_<database>`` for any other.

Why not GX's ``UpdateDataDocsAction``: every call rebuilds the site index over
*every* validation result ever stored and copies the static assets again, so a
day's validation grew slower with history (≈ 80 % of validate time after a few
hundred runs). Here each checkpoint run renders only its own result page, with
GX's own renderer and view, into the site of its business date; the date's
index is rendered (by GX's index renderer) from a small manifest of that date's
runs. A day's cost is the same on day 1 and day 366.

Layout (GX's own, per date)::

    data_docs/index.html                        the dates, newest first
    data_docs/static/                           GX's CSS/JS/images, copied once
    data_docs/2026-09-30/index.html             that date's validation runs
    data_docs/2026-09-30/validations/<kind>/<stage>/<date>/<run time>/<batch>.html
    data_docs/2026-09-30/expectations/<kind>/<stage>.html
    data_docs/2026-09-30/static -> ../static
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import shutil
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path

from kaohe.outputs import data_docs_dir

MANIFEST = "runs.json"


def docs_root(url: str | None = None) -> Path:
    """The Data Docs of the warehouse at ``url`` (None: the warehouse in use)."""
    return data_docs_dir(url)


def site_dir(business_date: date, url: str | None = None) -> Path:
    return docs_root(url) / business_date.isoformat()


def index_page(business_date: date | None = None, url: str | None = None) -> Path:
    """The date's index, or the index of all dates."""
    return (site_dir(business_date, url) if business_date else docs_root(url)) / "index.html"


def _suite_page(suite_name: str) -> str:
    """A suite's page in a date's site, relative to it (GX's layout: expectations/<kind>/<stage>.html)."""
    return "/".join(["expectations", *suite_name.split(".")]) + ".html"


@contextmanager
def _locked(folder: Path):
    """Runs of one date in two processes (a resubmission, concurrent tests) update its manifest in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _store(folder: Path):
    from great_expectations.data_context.store.html_site_store import HtmlSiteStore

    return HtmlSiteStore(store_backend={"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)})


def _ensure_static(site: Path) -> None:
    """GX's static assets (4 MB) once for all dates; each date's site links to them."""
    root = site.parent
    with _locked(root):
        if not (root / "static" / ".complete").exists():
            _store(root).copy_static_assets()
            (root / "static" / ".complete").touch()
    link = site / "static"
    if not link.exists() and not link.is_symlink():
        try:
            link.symlink_to(Path("..") / "static", target_is_directory=True)
        except OSError:  # no symlinks on this filesystem: a copy, still once per date
            shutil.copytree(root / "static", link)


@cache
def _page_view():
    """One view per process: its Jinja environment compiles GX's templates once (≈ 2 s), not per page."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


@cache
def _index_view():
    from great_expectations.render.view import DefaultJinjaIndexPageView

    return DefaultJinjaIndexPageView()


def write_page(business_date: date, result_identifier, validation_result, suite, url: str | None = None) -> dict:
    """Render one checkpoint run's page (and, once per date, its suite's page) into the date's site.

    ``result_identifier`` is the run's ``ValidationResultIdentifier``. Returns the run's manifest entry,
    for ``write_index``.
    """
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        SiteSectionIdentifier,
    )
    from great_expectations.render.renderer import ExpectationSuitePageRenderer, ValidationResultsPageRenderer

    site = site_dir(business_date, url)
    store = _store(site)
    view = _page_view()
    page = view.render(ValidationResultsPageRenderer().render(validation_result), show_how_to_buttons=False)
    store.set(SiteSectionIdentifier(site_section_name="validations", resource_identifier=result_identifier), page)
    if not (site / _suite_page(suite.name)).exists():
        rendered = view.render(ExpectationSuitePageRenderer().render(suite), show_how_to_buttons=False)
        key = SiteSectionIdentifier(
            site_section_name="expectations", resource_identifier=ExpectationSuiteIdentifier(name=suite.name)
        )
        store.set(key, rendered)
    _ensure_static(site)
    run_name, run_time_key = result_identifier.run_id.to_tuple()
    return {
        "suite": suite.name,
        "run_name": run_name,
        "run_time": result_identifier.run_id.run_time.isoformat(),
        "page": "/".join(
            ["validations", *suite.name.split("."), run_name, run_time_key, result_identifier.batch_identifier]
        )
        + ".html",
        "batch_identifier": result_identifier.batch_identifier,
        "success": bool(validation_result.success),
        "statistics": dict(validation_result.statistics),
    }


def write_index(business_date: date, entries: list[dict], url: str | None = None) -> Path:
    """Add a validate run's pages to the date's manifest and re-render the date's index from it."""
    site = site_dir(business_date, url)
    with _locked(site):
        manifest = site / MANIFEST
        known = json.loads(manifest.read_text()) if manifest.exists() else []
        new_site = not known
        known += entries
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, ensure_ascii=False, indent=0, default=str))
        os.replace(tmp, manifest)
        _write_site_index(_store(site), business_date, known)
    if new_site:
        _write_dates_index(site.parent)
    return site / "index.html"


def _write_site_index(store, business_date: date, entries: list[dict]) -> None:
    """GX's index page, over this date's runs only (newest first)."""
    import urllib.parse
    from collections import OrderedDict

    from dateutil.parser import parse
    from great_expectations.render.renderer.site_index_page_renderer import SiteIndexPageRenderer

    links: OrderedDict[str, object] = OrderedDict(site_name=f"Kaohe — {business_date.isoformat()}")
    links["validations_links"] = [
        {
            "expectation_suite_name": e["suite"],
            "filepath": urllib.parse.quote(e["page"]),
            "run_id": None,
            "batch_identifier": e["batch_identifier"],
            "validation_success": e["success"],
            "run_time": parse(e["run_time"]),
            "run_name": e["run_name"],
            "asset_name": e["batch_identifier"],
            "batch_kwargs": {},
            "batch_spec": {},
            "expectation_suite_filepath": _suite_page(e["suite"]),
        }
        for e in sorted(entries, key=lambda e: e["run_time"], reverse=True)
    ]
    links["expectations_links"] = [
        {"expectation_suite_name": name, "filepath": _suite_page(name)}
        for name in sorted({e["suite"] for e in entries})
    ]
    rendered = SiteIndexPageRenderer.render(links)
    store.write_index_page(_index_view().render(rendered, show_how_to_buttons=False))


def _write_dates_index(root: Path) -> None:
    """A plain page linking each date's site (rewritten only when a date's site is created)."""
    with _locked(root):
        dates = sorted((p.name for p in root.iterdir() if (p / MANIFEST).exists()), reverse=True)
        items = "\n".join(f'<li><a href="{html.escape(d)}/index.html">{html.escape(d)}</a></li>' for d in dates)
        page = (
            "<!doctype html><meta charset='utf-8'><title>Kaohe — Data Docs</title>"
            "<h1>Kaohe — GX Data Docs by business date</h1>\n<ul>\n" + items + "\n</ul>\n"
        )
        tmp = root / "index.html.tmp"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, root / "index.html")
