"""Who may read what: the two reader roles the project creates and keeps granted.

- ``kaohe_bi``: the dashboards — the ``marts`` schema only (not payroll, raw, quarantine).
- ``kaohe_payroll``: the payroll system — the ``payroll`` schema only.

Each registered district has two more (one-network.md, Access): ``kaohe_bi_<code>`` and
``kaohe_payroll_<code>``, restricted to the district's rows by row-level security. Until every
relation they could read has its policy, they get CONNECT only: a district role never reads
another district's rows, not even for one release.

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

# Row-level security per district (one-network.md, Access), defined once and applied by whoever builds a table:
# dbt's post-hook on every mart, kaohe.payroll on its tables. Fail-closed: a district role gets SELECT on a
# table only from restrict_to_districts, in the transaction that gives the table its policy, so a table
# built without one is refused to it (no default privileges for district roles).
ROW_SECURITY_SQL = r"""
-- The districts `member` reads through `reader` (kaohe_bi, kaohe_payroll): those of whose district role
-- (reader_<code>) it is a member. Security definer: the registry is not the readers' to see.
create or replace function ops.districts_readable(reader text, member name) returns text[]
language sql stable security definer set search_path = pg_catalog as $$
  select coalesce(array_agg(d.district_code), '{}')
  from ops.districts d
  join pg_roles r on r.rolname = reader || '_' || lower(d.district_code)
  where pg_has_role(member, r.oid, 'member')
$$;

-- `rel` readable row by row: `reader` itself sees every district (the city), each district role its own.
create or replace function ops.restrict_to_districts(rel regclass, reader text) returns void
language plpgsql as $$
declare
  district_role name;
begin
  execute format('alter table %s enable row level security', rel);
  execute format('drop policy if exists district_rows on %s', rel);
  -- the sub-selects run once per query (an InitPlan), not once per row
  execute format(
    'create policy district_rows on %s for select using ('
    '(select pg_has_role(current_user, %L, ''member''))'
    ' or district_code = any ((select ops.districts_readable(%L, current_user))::text[]))', rel, reader, reader);
  for district_role in
    select r.rolname from ops.districts d join pg_roles r on r.rolname = reader || '_' || lower(d.district_code)
  loop
    execute format('grant select on %s to %I', rel, district_role);
  end loop;
end $$;
"""


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
    conn.execute(ROW_SECURITY_SQL)


def district_roles(district_code: str) -> dict[str, str]:
    """The district's reader roles -> the schema each reads (its rows only). Suffixed with the lower-case code,
    so the roles need no quoting (kaohe_bi_xy2)."""
    return {f"{role}_{district_code.lower()}": schema for role, schema in READER_SCHEMAS.items()}


def ensure_district_roles(
    conn: psycopg.Connection, district_code: str, passwords: dict[str, str] | None = None
) -> None:
    """Create the district's LOGIN roles if missing, set the passwords given (the embedded warehouse keeps them in
    its passfile; in a deployment the DBA sets them), let them connect, and let them read every table of their
    schema that row-level security restricts to their district (restrict_to_districts) — no other."""
    database = sql.Identifier(conn.info.dbname)
    for role, schema in district_roles(district_code).items():
        r = sql.Identifier(role)
        create_login_role(conn, role)
        if password := (passwords or {}).get(role):
            conn.execute(sql.SQL("alter role {} password {}").format(r, sql.Literal(password)))
        conn.execute(sql.SQL("grant connect on database {} to {}").format(database, r))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), r))
        for (table,) in conn.execute(
            "select format('%%I.%%I', schemaname, tablename) from pg_policies"
            " where schemaname = %s and policyname = 'district_rows'",
            (schema,),
        ).fetchall():
            conn.execute(sql.SQL("grant select on {} to {}").format(sql.SQL(table), r))
