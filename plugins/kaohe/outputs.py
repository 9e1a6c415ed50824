"""Where a run's outputs go: one folder per warehouse (and, once districts exist, per district).

Notices, GX Data Docs and any report are written under the folder of the warehouse they came
from, so runs against two warehouses from one checkout never mix (nor does ``latest.html`` point
at the other's notice):

- the embedded warehouse's own database keeps the documented paths: ``.kaohe/reports/notices/…``,
  ``.kaohe/gx/data_docs/…`` (``.kaohe`` is ``KAOHE_HOME`` when set);
- any other warehouse (``KAOHE_WAREHOUSE_URL``, another database on the embedded server) writes under
  ``.kaohe/warehouses/<host>_<port>_<database>/`` (the same ``reports/`` and ``gx/`` inside);
- ``KAOHE_REPORTS``, when set, is the reports folder whatever the warehouse (a deployment's mount).

The key names the server and database only: never a user or a password.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from kaohe.settings import settings, state_dir


def _safe(text: str, allowed: str) -> str:
    return "".join(c if c.isalnum() or c in allowed else "-" for c in text)


def warehouse_key(url: str) -> str | None:
    """None for the embedded warehouse's own database, else ``<host>_<port>_<database>`` (filesystem-safe;
    a short digest is added when characters had to be replaced, so two warehouses never share a key)."""
    from kaohe.warehouse import DB_NAME, EmbeddedWarehouse, database_name

    parts = urlsplit(url)
    host, port, database = parts.hostname or "localhost", parts.port or 5432, database_name(url)
    embedded = EmbeddedWarehouse.default()
    if (
        host in ("127.0.0.1", "localhost")
        and database == DB_NAME
        and embedded.port_file.exists()
        and port == embedded.port
    ):
        return None
    raw = f"{host}_{port}_{database}"
    key = f"{_safe(host, '.-')}_{port}_{_safe(database, '._-')}"
    if key != raw:
        key += "-" + hashlib.sha1(raw.encode()).hexdigest()[:8]
    return key[:200]


def _district(district: str) -> str:
    return _safe(district, "_-")  # no dots: never `..`


def warehouse_dir(url: str | None = None, district: str | None = None) -> Path:
    """The folder of the warehouse's outputs (``url`` None: the warehouse in use), of one district within it."""
    if url is None:
        from kaohe.warehouse import warehouse_url

        url = warehouse_url(start=False)
    key = warehouse_key(url)
    folder = state_dir() if key is None else state_dir() / "warehouses" / key
    return folder / "districts" / _district(district) if district else folder


def reports_dir(url: str | None = None, district: str | None = None) -> Path:
    if mounted := settings().reports:
        return mounted / "districts" / _district(district) if district else mounted
    return warehouse_dir(url, district) / "reports"


def notices_dir(url: str | None = None, district: str | None = None) -> Path:
    """The daily notices (notice_<date>.html, latest.html)."""
    return reports_dir(url, district) / "notices"


def data_docs_dir(url: str | None = None, district: str | None = None) -> Path:
    """The GX Data Docs sites, one per business date (kaohe.validation.data_docs)."""
    return warehouse_dir(url, district) / "gx" / "data_docs"
