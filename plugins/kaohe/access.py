"""Who may read what: the two reader roles the project creates and keeps granted.

- ``kaohe_bi``: the dashboards — the ``marts`` schema only (not payroll, raw, quarantine).
- ``kaohe_payroll``: the payroll system — the ``payroll`` schema only.

Default privileges make every table dbt (re)creates in ``marts`` readable by the BI role
without a grant per model. Both are LOGIN roles with passwords: a deployment gives them through
``KAOHE_BI_PASSWORD`` / ``KAOHE_PAYROLL_PASSWORD``; the embedded warehouse generates them on
first start into its passfile (``.kaohe/pg/pgpass``), the env vars winning when set.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from kaohe.settings import settings

READER_SCHEMAS = {"kaohe_bi": "marts", "kaohe_payroll": "payroll"}


def given_passwords() -> dict[str, str | None]:
    """The reader roles' passwords the deployment gives (KAOHE_BI_PASSWORD, KAOHE_PAYROLL_PASSWORD), None if not."""
    current = settings()
    return {"kaohe_bi": current.bi_password, "kaohe_payroll": current.payroll_password}


class AccessError(RuntimeError):
    pass


def create_login_role(conn: psycopg.Connection, role: str) -> None:
    """Create the LOGIN role unless it exists (roles are cluster-wide: another database's first run, or the
    embedded warehouse's start, may be creating it right now)."""
    conn.execute(
        sql.SQL(
            "do $$ begin create role {} login; exception when duplicate_object or unique_violation then null; end $$"
        ).format(sql.Identifier(role))
    )


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the reader roles if missing and (re)grant them their one schema."""
    missing = [
        role
        for role in READER_SCHEMAS
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is None
    ]
    if missing:
        # not warehouse.scalar: the warehouse imports this module (the embedded cluster's roles)
        me = conn.execute("select rolsuper or rolcreaterole from pg_roles where rolname = current_user").fetchone()
        can_create = bool(me and me[0])
        if not can_create:
            raise AccessError(
                f"roles {', '.join(missing)} do not exist and {conn.info.user} may not create roles:"
                " create them (see deploy/postgres-init) or grant it CREATEROLE"
            )
        for role in missing:
            create_login_role(conn, role)
    database = sql.Identifier(conn.info.dbname)
    given = given_passwords()
    for role, schema in READER_SCHEMAS.items():
        r, s = sql.Identifier(role), sql.Identifier(schema)
        if password := given[role]:
            conn.execute(sql.SQL("alter role {} password {}").format(r, sql.Literal(password)))
        conn.execute(sql.SQL("grant connect on database {} to {}").format(database, r))
        conn.execute(sql.SQL("create schema if not exists {}").format(s))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(s, r))
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, r))
        conn.execute(sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(s, r))
