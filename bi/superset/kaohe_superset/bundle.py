"""The dashboards bundle (bi/superset/bundle/, Superset's v1 export format) as Superset imports it, and the
warehouse's URI and password for the read-only BI role it logs in as (never written into the bundle)."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import urllib.parse
import zipfile

from . import REPO, SUPERSET_DIR, ProvisionError
from .rest import Client

BUNDLE = SUPERSET_DIR / "bundle"
BUNDLE_ROOT = "kaohe_dashboards"  # the zip's one top folder
DATABASE_FILE = "databases/kaohe_warehouse.yaml"
BI_ROLE = "kaohe_bi"
PASSWORD_MASK = "XXXXXXXXXX"  # superset.constants.PASSWORD_MASK


def bi_uri(warehouse_url: str, user: str = BI_ROLE) -> tuple[str, str | None]:
    """(SQLAlchemy URI without password, password) for the warehouse as the BI role.

    Accepts the warehouse's URL as `kaohe warehouse url` prints it (another user, postgresql://) or the BI
    role's own; the password is the URL's when it is the BI role's, else KAOHE_BI_PASSWORD, else the BI role's
    line of the passfile the URL names (the embedded warehouse's generated one). A password found in the
    passfile travels beside the URI, which then names no local file."""
    parts = urllib.parse.urlsplit(warehouse_url)
    if not parts.scheme.startswith("postgres"):
        raise ProvisionError(f"not a PostgreSQL URL: {parts.scheme}://…")
    password = urllib.parse.unquote(parts.password) if parts.password and parts.username == user else None
    password = password or os.environ.get("KAOHE_BI_PASSWORD") or None
    host = parts.hostname or "localhost"
    netloc = f"{user}@{'[' + host + ']' if ':' in host else host}" + (f":{parts.port}" if parts.port else "")
    query = parts.query
    if password is None and "passfile=" in query:
        password = passfile_password(urllib.parse.urlunsplit(parts._replace(netloc=netloc)))
        if password is not None:
            query = "&".join(item for item in query.split("&") if not item.startswith("passfile="))
    return urllib.parse.urlunsplit(("postgresql+psycopg2", netloc, parts.path, query, "")), password


def passfile_password(url: str) -> str | None:
    """The password libpq would take from the URL's passfile: Kaohe's own lookup (kaohe.warehouse imports the
    standard library only, so this venv can load it from the checkout; a docker image passes passwords instead)."""
    sys.path.insert(0, str(REPO / "plugins"))
    try:
        from kaohe.warehouse import url_password
    except ImportError as exc:
        raise ProvisionError(
            f"the URL names a passfile, but kaohe.warehouse is not importable from {REPO}:"
            f" give KAOHE_BI_PASSWORD instead ({exc})"
        ) from exc
    finally:
        sys.path.remove(str(REPO / "plugins"))
    return url_password(url)


def bundle_zip(sqlalchemy_uri: str) -> bytes:
    """The bundle as Superset imports it: one top folder, the database's URI set to the warehouse's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in BUNDLE.rglob("*.yaml")):
            relative = path.relative_to(BUNDLE).as_posix()
            text = path.read_text(encoding="utf-8")
            if relative == DATABASE_FILE:
                text, replaced = re.subn(r"(?m)^sqlalchemy_uri: .*$", f"sqlalchemy_uri: {sqlalchemy_uri}", text)
                if replaced != 1:
                    raise ProvisionError(f"{DATABASE_FILE} has no sqlalchemy_uri line")
            archive.writestr(f"{BUNDLE_ROOT}/{relative}", text)
    return buffer.getvalue()


def bundle_objects() -> dict[str, list[dict]]:
    """The bundle's YAML files by kind (needs PyYAML: both venvs have it)."""
    import yaml

    objects: dict[str, list[dict]] = {"databases": [], "datasets": [], "charts": [], "dashboards": []}
    for path in sorted(BUNDLE.rglob("*.yaml")):
        kind = path.relative_to(BUNDLE).parts[0]
        if kind in objects:
            objects[kind].append(yaml.safe_load(path.read_text(encoding="utf-8")))
    return objects


def import_bundle(client: Client, warehouse_url: str) -> None:
    """Imports (overwrites) the bundle through /api/v1/assets/import/, then points every native filter at the
    charts' new ids (the importer maps a filter's excluded charts but not its chartsInScope)."""
    uri, password = bi_uri(warehouse_url)
    fields = {"overwrite": "true"}
    if password:
        # the URI carries Superset's password mask, the password travels beside it (as in Superset's own exports):
        # a URI without one would reset the stored password to none
        uri = uri.replace(f"//{BI_ROLE}@", f"//{BI_ROLE}:{PASSWORD_MASK}@", 1)
        fields["passwords"] = json.dumps({DATABASE_FILE: password})
    client.post_multipart("/api/v1/assets/import/", fields, {"bundle": ("kaohe_dashboards.zip", bundle_zip(uri))})
    for dashboard in bundle_objects()["dashboards"]:
        live = client.get(f"/api/v1/dashboard/{dashboard['slug']}")["result"]
        metadata = json.loads(live["json_metadata"])
        metadata.pop("positions", None)  # a PUT with "positions" would rewrite the layout and the chart list
        position = json.loads(live["position_json"])
        chart_ids = sorted(
            c["meta"]["chartId"] for c in position.values() if isinstance(c, dict) and c.get("type") == "CHART"
        )
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [c for c in chart_ids if c not in excluded]
        client.put(f"/api/v1/dashboard/{live['id']}", {"json_metadata": json.dumps(metadata, ensure_ascii=False)})


def missing_marts(client: Client) -> list[str]:
    """The marts the datasets read that the warehouse does not have (yet): all of them before `make demo`."""
    database = client.all("database")[0]["id"]
    tables = client.get(f"/api/v1/database/{database}/tables/", q={"schema_name": "marts", "force": True})
    present = {t["value"] for t in tables["result"]}
    wanted = set()
    for dataset in bundle_objects()["datasets"]:
        wanted |= set(re.findall(r"\bmarts\.(\w+)", dataset.get("sql") or "")) or {dataset["table_name"]}
    return sorted(wanted - present)
