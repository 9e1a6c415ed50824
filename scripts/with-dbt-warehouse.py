"""Run a command with the variables the dbt profile reads (warehouse.dbt_env) set, for sqlfluff's dbt templater.

The templater compiles every model with dbt, and dbt asks the warehouse whether an incremental model's table exists
(is_incremental()), so it needs one it can reach: KAOHE_WAREHOUSE_URL, else the embedded warehouse — started here
if it is not running, and stopped again afterwards, so `make lint` leaves the machine as it found it. Nothing is
written to the warehouse.

    .venv/bin/python scripts/with-dbt-warehouse.py .venv/bin/sqlfluff lint dbt_project/models
"""

from __future__ import annotations

import os
import subprocess
import sys

from kaohe.settings import settings
from kaohe.warehouse import EmbeddedWarehouse, dbt_env


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    started = None
    url = settings().warehouse_url
    if not url:
        embedded = EmbeddedWarehouse.default()
        if not embedded.running():
            started = embedded
        url = embedded.start()
    try:
        return subprocess.run(argv, env={**os.environ, **dbt_env(url)}).returncode
    finally:
        if started is not None:
            started.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
