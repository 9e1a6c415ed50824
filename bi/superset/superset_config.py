"""Superset configuration for the Kaohe dashboards (read through SUPERSET_CONFIG_PATH).

Offline and self-contained: metadata in SQLite under SUPERSET_HOME unless SUPERSET_METADATA_URI says otherwise
(the docker-compose service uses the `superset` PostgreSQL database), in-process caches, no examples, no
thumbnails, alerts or reports (they would need Celery and a browser driver). provision.py sets the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME", Path.home() / ".superset"))


def _secret_key() -> str:
    # provision.py passes it in the environment (from .env in a deployment, or generated once under SUPERSET_HOME)
    key = os.environ.get("SUPERSET_SECRET_KEY", "")
    if not key:
        raise RuntimeError("SUPERSET_SECRET_KEY is not set (run Superset through bi/superset/provision.py)")
    return key


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URI") or f"sqlite:///{SUPERSET_HOME / 'superset.db'}"

# One gunicorn worker: in-process caches are enough, and nothing reaches out to Redis or the network.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300, "CACHE_KEY_PREFIX": "kaohe_"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300, "CACHE_KEY_PREFIX": "kaohe_data_"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
RATELIMIT_STORAGE_URI = "memory://"

# Served on 127.0.0.1 (or behind the deployment's reverse proxy, which terminates TLS).
TALISMAN_ENABLED = False
SESSION_COOKIE_SECURE = False

FEATURE_FLAGS = {
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "EMBEDDED_SUPERSET": False,
    # render every chart of a dashboard at once (the off-screen ones too): what a reader scrolls to is ready,
    # and a full-page screenshot shows them all
    "DASHBOARD_VIRTUALIZATION": False,
}

# The readers are Chinese: the UI in Chinese, English available.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "Chinese"}, "en": {"flag": "us", "name": "English"}}
APP_NAME = "考核看板"

# The dashboards read marts only, as the read-only role kaohe_bi; SQL Lab gets no write path either way.
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 10000
