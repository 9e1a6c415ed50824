"""绩效工资: versioned, publishable pay adjustments (rule 4) in ``payroll.quarterly_adjustments``.

dbt computes each cadre's current pay result (``intermediate.int_payroll__quarter_adjustments``);
this module keeps the versions:

- After every daily build, ``refresh_drafts`` rewrites the draft rows of every quarter whose
  last day has been run: for a quarter never published, every graded cadre (version 1); for a
  published one, only the cadres whose result differs from what was last published (next
  version), each with ``delta_to_pay`` = its adjustment − the adjustment last published, and
  cadres who dropped out with grade null and ``delta_to_pay`` = −the adjustment last published.
- ``publish`` freezes a quarter's drafts as its next version.

Published rows never change: the database refuses it (triggers below), whoever asks.
The payroll system pulls published rows of versions after the last one it took and pays
``delta_to_pay``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from kaohe.warehouse import scalar

if TYPE_CHECKING:
    import psycopg

PAYROLL_SQL = r"""
create schema if not exists payroll;

create table if not exists payroll.quarterly_adjustments (
    cadre_id      text not null,
    quarter       text not null check (quarter ~ '^[0-9]{4}Q[1-4]$'),
    version       integer not null check (version >= 1),
    dept_code     text,
    base_pay      numeric(12, 2) not null,
    grade         text check (grade in ('A', 'B', 'C', 'D')),
    grade_reason  text,
    multiplier    numeric(6, 4),
    adjusted_pay  numeric(12, 2) not null,
    adjustment    numeric(12, 2) not null,
    delta_to_pay  numeric(12, 2) not null,
    status        text not null check (status in ('draft', 'published')),
    published_at  timestamptz,
    computed_at   timestamptz not null default clock_timestamp(),
    primary key (quarter, version, cadre_id),
    check ((status = 'published') = (published_at is not null))
);
comment on table payroll.quarterly_adjustments is
  '绩效工资 per cadre × quarter × version. Published rows never change (refused by trigger); the payroll system pays delta_to_pay of published versions it has not taken yet.';
create index if not exists quarterly_adjustments_cadre on payroll.quarterly_adjustments (cadre_id, quarter, version);

-- One row per published version: the payroll system's watermark (publication_id is global).
create table if not exists payroll.publications (
    publication_id  bigserial primary key,
    quarter         text not null,
    version         integer not null,
    rows            integer not null,
    total_delta     numeric(14, 2) not null,
    published_at    timestamptz not null,
    published_by    text not null default current_user,
    unique (quarter, version)
);

-- The daily runs that reached payroll: a quarter can be published once its last day has been run.
create table if not exists payroll.run_dates (
    business_date  date primary key,
    refreshed_at   timestamptz not null default clock_timestamp()
);

-- The warehouse's high-water mark: the latest business date run so far (its run went through the
-- payroll step, the last that writes). Everything is built as of it, whatever date is (re)run; only the
-- per-date rows of the date run (daily_warnings, ...) are as of that date. Null before the first run.
create or replace function ops.high_water_mark() returns date
language sql stable as $$ select max(business_date) from payroll.run_dates $$;

create or replace function payroll.refuse_published_change() returns trigger
language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    if exists (select 1 from payroll.quarterly_adjustments where status = 'published')
       or exists (select 1 from payroll.publications) then
      raise exception 'payroll: published adjustments cannot be truncated'
        using errcode = 'restrict_violation';
    end if;
    return null;
  end if;
  if tg_table_name = 'publications' then
    raise exception 'payroll: % of publication % refused: publications never change', lower(tg_op), old.publication_id
      using errcode = 'restrict_violation';
  end if;
  -- (a separate IF: publications rows have no status field)
  if old.status = 'published' then
    raise exception 'payroll: % of a published row refused (quarter %, version %): published versions never change; a correction is a new version',
      lower(tg_op), old.quarter, old.version
      using errcode = 'restrict_violation';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end $$;

do $$ begin
  if not exists (select 1 from pg_trigger where tgname = 'published_rows_are_immutable') then
    create trigger published_rows_are_immutable before update or delete on payroll.quarterly_adjustments
      for each row execute function payroll.refuse_published_change();
    create trigger published_rows_are_not_truncated before truncate on payroll.quarterly_adjustments
      for each statement execute function payroll.refuse_published_change();
    create trigger publications_are_immutable before update or delete on payroll.publications
      for each row execute function payroll.refuse_published_change();
    create trigger publications_are_not_truncated before truncate on payroll.publications
      for each statement execute function payroll.refuse_published_change();
  end if;
end $$;
"""

# Drafts from the current pay results, diffed against the latest published row of each
# cadre and quarter. Only quarters whose last day has been run get drafts.
REFRESH_SQL = """
with last_run as (
    select ops.high_water_mark() as day
),
current_results as (
    select a.* from intermediate.int_payroll__quarter_adjustments a, last_run
    where a.quarter_end <= last_run.day
),
last_published as (
    select distinct on (quarter, cadre_id) *
    from payroll.quarterly_adjustments
    where status = 'published'
    order by quarter, cadre_id, version desc
),
next_version as (
    select quarter, max(version) + 1 as version
    from payroll.quarterly_adjustments where status = 'published' group by quarter
),
changed as (
    select c.cadre_id, c.quarter, c.dept_code, c.base_pay, c.grade, c.grade_reason, c.multiplier,
           c.adjusted_pay, c.adjustment, c.adjustment - coalesce(p.adjustment, 0) as delta_to_pay
    from current_results c
    left join last_published p on p.quarter = c.quarter and p.cadre_id = c.cadre_id
    where p.cadre_id is null
       or (c.grade, c.base_pay, c.multiplier, c.adjusted_pay, c.adjustment)
          is distinct from (p.grade, p.base_pay, p.multiplier, p.adjusted_pay, p.adjustment)

    union all

    -- published with a grade, no longer graded (left the roster, moved out of the quarter): pay base only
    select p.cadre_id, p.quarter, p.dept_code, p.base_pay, null, 'dropped_out', null,
           p.base_pay, 0, -p.adjustment
    from last_published p, last_run
    where p.grade is not null
      and ingest.quarter_end(p.quarter) <= last_run.day
      and not exists (select 1 from current_results c where c.quarter = p.quarter and c.cadre_id = p.cadre_id)
)
insert into payroll.quarterly_adjustments
    (cadre_id, quarter, version, dept_code, base_pay, grade, grade_reason, multiplier,
     adjusted_pay, adjustment, delta_to_pay, status)
select ch.cadre_id, ch.quarter, coalesce(nv.version, 1), ch.dept_code, ch.base_pay, ch.grade, ch.grade_reason,
       ch.multiplier, ch.adjusted_pay, ch.adjustment, ch.delta_to_pay, 'draft'
from changed ch
left join next_version nv on nv.quarter = ch.quarter
"""

QUARTER = re.compile(r"^[0-9]{4}Q[1-4]$")


class PublishError(RuntimeError):
    pass


@dataclass
class Publication:
    quarter: str
    version: int | None
    rows: int
    total_delta: Decimal
    message: str


def ensure_payroll_schema(conn: psycopg.Connection) -> None:
    conn.execute(PAYROLL_SQL)


def high_water_mark(conn: psycopg.Connection) -> date | None:
    """The latest business date run so far (ops.high_water_mark()), or None before the first run."""
    return scalar(conn, "select ops.high_water_mark()")


def _lock(conn: psycopg.Connection) -> None:
    # refresh and publish never interleave (advisory locks are per database)
    conn.execute("select pg_advisory_xact_lock(hashtext('kaohe.payroll'))")


def refresh_drafts(business_date: date, url: str | None = None) -> dict:
    """Record that `business_date` was run and rewrite every draft; one transaction."""
    from kaohe.warehouse import connect

    with connect(url) as conn, conn.transaction():
        _lock(conn)
        conn.execute(
            "insert into payroll.run_dates (business_date) values (%s)"
            " on conflict (business_date) do update set refreshed_at = clock_timestamp()",
            (business_date,),
        )
        conn.execute("delete from payroll.quarterly_adjustments where status = 'draft'")
        conn.execute(REFRESH_SQL)
        drafts = conn.execute(
            "select quarter, version, count(*) from payroll.quarterly_adjustments where status = 'draft'"
            " group by quarter, version order by quarter"
        ).fetchall()
    return {"payroll_drafts": {q: {"version": v, "rows": n} for q, v, n in drafts}}


def publish(quarter: str, url: str | None = None, dry_run: bool = False) -> Publication:
    """Freeze the quarter's draft rows as its next version (rule 4); a dry run only says what it would do."""
    from kaohe.warehouse import connect

    quarter = quarter.strip().upper()
    if not QUARTER.match(quarter):
        raise PublishError(f"'{quarter}' is not a quarter (write it like 2026Q3)")
    with connect(url) as conn, conn.transaction():
        _lock(conn)
        last_day = scalar(conn, "select ingest.quarter_end(%s)", (quarter,))
        latest_run = high_water_mark(conn)
        if latest_run is None or latest_run < last_day:
            raise PublishError(
                f"{quarter} cannot be published: its last day {last_day} has not been run"
                f" (latest business date run: {latest_run or 'none'})"
            )
        if dry_run:
            published = conn.execute(
                "select version, delta_to_pay from payroll.quarterly_adjustments"
                " where quarter = %s and status = 'draft'",
                (quarter,),
            ).fetchall()
        else:
            published = conn.execute(
                """update payroll.quarterly_adjustments set status = 'published', published_at = now()
                   where quarter = %s and status = 'draft'
                   returning version, delta_to_pay""",
                (quarter,),
            ).fetchall()
        if not published:
            current = scalar(conn, "select max(version) from payroll.publications where quarter = %s", (quarter,))
            state = f"version {current} is current" if current else "no cadre was graded"
            return Publication(
                quarter,
                None,
                0,
                Decimal(0),
                f"nothing to publish for {quarter}: nothing changed since the last publication ({state})",
            )
        version = published[0][0]
        total = sum((delta for _, delta in published), Decimal(0))
        if dry_run:
            return Publication(
                quarter,
                None,
                len(published),
                total,
                f"dry run: would publish {quarter} version {version}: {len(published)} rows,"
                f" delta_to_pay total {total:+,} yuan",
            )
        conn.execute(
            "insert into payroll.publications (quarter, version, rows, total_delta, published_at)"
            " values (%s, %s, %s, %s, now())",
            (quarter, version, len(published), total),
        )
    return Publication(
        quarter,
        version,
        len(published),
        total,
        f"published {quarter} version {version}: {len(published)} rows, delta_to_pay total {total:+,} yuan",
    )
