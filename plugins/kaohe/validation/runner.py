"""Run the suites over one business date's pending loads; quarantine what fails.

For each kind, in the contract's order (master data before what references it):

1. a table ``ingest.batch_<kind>`` of the date's pending loads not yet
   quarantined (rebuilt for the relations stage when the fields stage
   quarantined rows) is the GX batch (a table asset, so GX hands back
   database-side row queries);
2. a GX checkpoint runs the kind's suite over it; its result page goes into
   the business date's Data Docs site (``kaohe.validation.data_docs``);
3. for every failed expectation, in suite order, the failing rows are copied
   into ``quarantine.rejected_rows`` by SQL (the first rule found wins);
4. the ledger rows get their counts and become ``loaded``; an older delivery
   of the same (date, kind, sender) becomes ``superseded``. The pipeline checks
   read = loaded + quarantined for every file, and fails the run if not.

Steps 3–4 of a kind are one transaction: a run killed during validation
leaves the loads pending, and the next run validates them again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache

import psycopg
from psycopg import sql

from kaohe.contract import Contract, load_contract
from kaohe.validation.suites import STAGES, build_rule_specs, build_suite
from kaohe.validation.typed_values import parsed_columns_sql, valid_view_sql
from kaohe.warehouse import connect, one_row, warehouse_url


class ValidationError(RuntimeError):
    pass


@dataclass
class KindResult:
    kind: str
    loads: int
    rows_read: int
    rows_quarantined: int
    failed_rules: dict[str, int] = field(default_factory=dict)
    data_docs: str | None = None


def ensure_valid_views(conn: psycopg.Connection, contract: Contract) -> None:
    for kind in contract.kinds.values():
        conn.execute(valid_view_sql(contract, kind))


@cache
def _gx():
    """One GX context per process (importing GX costs seconds: do it once, lazily).

    Ephemeral, not a file context: suites, validation definitions and checkpoints
    are rebuilt from the contract on every run anyway, and a file context shared
    by concurrent processes (test sessions, a resubmission run) made one process's
    checkpoint stale when another re-saved the same suite
    (``CheckpointRelatedResourcesFreshnessError``) and let them overwrite each
    other's great_expectations.yml. The results live on as Data Docs pages.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm noise in task logs
    return gx, context


def _datasource(context, url: str):
    """The warehouse as a GX datasource, one per warehouse URL (named by its hash).

    A datasource is never repointed: another warehouse (a test database, say)
    gets its own, so validation definitions of one never read the other.
    """
    import hashlib

    name = "warehouse_" + hashlib.sha1(url.encode()).hexdigest()[:8]
    # The URL is read from the environment at run time, so no password lands in GX's config or pages.
    os.environ[f"KAOHE_GX_{name.upper()}"] = url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        return context.data_sources.get(name)
    except (KeyError, ValueError, LookupError):
        return context.data_sources.add_postgres(name, connection_string="${KAOHE_GX_" + name.upper() + "}")


# (datasource, kind, stage) -> (rules fingerprint, checkpoint, suite): registering a suite, its validation
# definition and checkpoint costs ≈ 0.1 s a stage (GX serialises them into its stores); a range run pays it once.
_CHECKPOINTS: dict[tuple[str, str, str], tuple[str, object, object]] = {}


def _checkpoint(url: str, contract: Contract, kind: str, view: str, stage: str, specs: list):
    gx, context = _gx()
    datasource = _datasource(context, url)
    fingerprint = repr(specs)
    cached = _CHECKPOINTS.get((datasource.name, kind, stage))
    if cached and cached[0] == fingerprint:
        return cached[1], cached[2]
    asset_name = view.split(".", 1)[1]
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_table_asset(asset_name, table_name=asset_name, schema_name="ingest")
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_table("whole")
    suite = context.suites.add_or_update(build_suite(contract, kind, stage))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{kind}.{stage}__{datasource.name}", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"kaohe_{kind}.{stage}__{datasource.name}",
            validation_definitions=[definition],
            actions=[],  # Data Docs: this run's page only (data_docs.write_page), never a whole-site rebuild
            # BASIC: counts for the pages, and the row query for the quarantine (GX 1.24 returns it with
            # BASIC too); COMPLETE also fetched every failing value and row id of every column rule, a
            # second scan of the batch per rule that nothing reads (≈ 13 % of a city day's SQL)
            result_format={
                "result_format": "BASIC",
                "unexpected_index_column_names": ["_load_id", "_row_number"],
                "return_unexpected_index_query": True,
                "partial_unexpected_count": 0,
            },
        )
    )
    _CHECKPOINTS[(datasource.name, kind, stage)] = (fingerprint, checkpoint, suite)
    return checkpoint, suite


def _run_checkpoint(url: str, contract: Contract, kind: str, view: str, stage: str, specs: list, business_date: date):
    """Run the kind's suite of the stage over the batch view; returns (validation result, Data Docs entry)."""
    from great_expectations.core.run_identifier import RunIdentifier

    from kaohe.validation import data_docs

    _, context = _gx()
    checkpoint, suite = _checkpoint(url, contract, kind, view, stage, specs)
    # run name = the business date (the Data Docs index shows it); run time = now, so a resubmission's run
    # of the same date gets pages of its own
    run_id = RunIdentifier(run_name=business_date.isoformat(), run_time=datetime.now(UTC))
    result = checkpoint.run(run_id=run_id)
    ((identifier, validation_result),) = result.run_results.items()
    entry = data_docs.write_page(business_date, identifier, validation_result, suite, url)
    # the in-memory store would otherwise keep every result of a long range run
    context.validation_results_store.remove_key(identifier)
    return validation_result, entry


def _row_query(expectation_result, spec, view: str) -> str:
    """SQL yielding (_load_id, _row_number, _message) for a failed expectation."""
    if spec.query is not None:
        return spec.query.format(batch=view)
    query = expectation_result.result.get("unexpected_index_query")
    if not isinstance(query, str):
        raise ValidationError(f"GX returned no row query for {spec.rule} on {spec.column}")
    query = query.strip().rstrip(";")
    template = spec.message.replace("'", "''")
    message = f"replace('{template}', '{{value}}', coalesce(q.{spec.column}::text, ''))"
    return f"select q._load_id, q._row_number, {message} as _message from ({query}) q"


def _quarantine(conn: psycopg.Connection, kind: str, business_date: date, rule: str, row_query: str) -> int:
    cur = conn.execute(
        sql.SQL(
            """insert into quarantine.rejected_rows
    (load_id, district_code, business_date, kind, file, row_number, rule, message, raw)
select u._load_id, f.district_code, %s, %s, f.file, u._row_number, %s,
       'Row ' || u._row_number || ': ' || coalesce(u._message, 'breaks rule ' || %s),
       (to_jsonb(r) - '_load_id' - 'district_code' - '_row_number' - '_extra') || coalesce(r._extra, '{{}}'::jsonb)
from ({}) u
join quarantine.file_loads f on f.load_id = u._load_id
join raw.{} r on r._load_id = u._load_id and r._row_number = u._row_number
on conflict (load_id, row_number) do nothing"""
        ).format(sql.SQL(row_query.replace("%", "%%")), sql.Identifier(kind)),  # the query is text, not a template
        (business_date, kind, rule, rule),
    )
    return cur.rowcount


def _finalise(conn: psycopg.Connection, load_ids: list[int]) -> None:
    conn.execute(
        """update quarantine.file_loads f
           set rows_quarantined = q.n, rows_loaded = f.rows_read - q.n, status = 'loaded', validated_at = clock_timestamp()
           from (select l.load_id, count(r.row_number)::int as n
                 from unnest(%s::bigint[]) l(load_id)
                 left join quarantine.rejected_rows r on r.load_id = l.load_id group by l.load_id) q
           where f.load_id = q.load_id""",
        (load_ids,),
    )
    # Older deliveries under the same key are replaced (kept as history).
    conn.execute(
        """update quarantine.file_loads old set status = 'superseded', superseded_by = new.load_id
           from quarantine.file_loads new
           where new.load_id = any(%s) and old.load_id < new.load_id and old.status = 'loaded'
             and (old.business_date, old.kind, old.sender) = (new.business_date, new.kind, new.sender)""",
        (load_ids,),
    )


def check_row_accounting(conn: psycopg.Connection, business_date: date) -> list[str]:
    """Every file of the date: read = loaded + quarantined, and read = rows kept in raw.

    One count per kind, over the range of the date's load ids (the BRIN index's range): a province
    delivers ≈ 19k files a day, and a count per file cost ≈ 1 ms each."""
    problems = []
    kinds = conn.execute(
        "select kind, min(load_id), max(load_id) from quarantine.file_loads"
        " where business_date = %s and status in ('loaded', 'superseded') and kind = any(%s) group by kind",
        (business_date, list(load_contract().kinds)),
    ).fetchall()
    for kind, first, last in kinds:
        for load_id, file, read, loaded, quarantined, in_raw in conn.execute(
            sql.SQL(
                "select f.load_id, f.file, f.rows_read, f.rows_loaded, f.rows_quarantined, coalesce(r.n, 0)"
                " from quarantine.file_loads f"
                " left join (select _load_id, count(*) as n from raw.{} where _load_id between %s and %s"
                "            group by _load_id) r on r._load_id = f.load_id"
                " where f.business_date = %s and f.kind = %s and f.status in ('loaded', 'superseded')"
            ).format(sql.Identifier(kind)),
            (first, last, business_date, kind),
        ):
            if read != loaded + quarantined or read != in_raw:
                problems.append(
                    f"{file} (load {load_id}): read {read}, in raw {in_raw}, loaded {loaded}, quarantined {quarantined}"
                )
    return problems


def validate_date(business_date: date, url: str | None = None) -> list[KindResult]:
    from kaohe.validation import data_docs

    url = url or warehouse_url()
    contract = load_contract()
    results = []
    pages: list[dict] = []
    try:
        with connect(url) as conn:
            with conn.transaction():
                ensure_valid_views(conn, contract)
            for kind in contract.kinds:
                load_ids = [
                    r[0]
                    for r in conn.execute(
                        "select load_id from quarantine.file_loads where business_date = %s and kind = %s"
                        " and status = 'pending' order by load_id",
                        (business_date, kind),
                    )
                ]
                if not load_ids:
                    continue
                results.append(_validate_kind(conn, url, contract, kind, business_date, load_ids, pages))
            problems = check_row_accounting(conn, business_date)
    finally:
        if pages:  # the pages of a run that broke off are indexed too: they show how far it got
            data_docs.write_index(business_date, pages, url)
    if problems:
        raise ValidationError("row accounting broken: " + "; ".join(problems))
    return results


def _build_batch(conn: psycopg.Connection, contract: Contract, kind: str, name: str, load_ids: list[int]) -> None:
    """The batch as a table, not a view: every expectation of a stage reads it (twenty-odd queries a kind),
    and as a view each re-ran the join of raw with the ledger and the quarantine. It carries the parsed
    values too (``_v_<column>``, parsed once here instead of in every rule). Unlogged (a scratch copy,
    no WAL) and analysed (the rules' plans need its size)."""
    parsed = parsed_columns_sql(contract, contract.kinds[kind], "r")
    with conn.transaction():
        relkind = conn.execute("select relkind from pg_class where oid = to_regclass(%s)", (name,)).fetchone()
        if relkind:  # a view of that name is what older versions created
            conn.execute(sql.SQL("drop {} {}").format(sql.SQL("view" if relkind[0] == "v" else "table"), sql.SQL(name)))
        conn.execute(
            sql.SQL(
                "create unlogged table {} as select r.*, {} f.business_date as _business_date, f.sender as _sender,"
                " f.file as _file from raw.{} r join quarantine.file_loads f on f.load_id = r._load_id"
                # the range lets the BRIN index on _load_id find the rows (it cannot use `= any`)
                f" where r._load_id between {min(load_ids)} and {max(load_ids)} and r._load_id = any(array[{{}}]::bigint[])"
                " and not exists (select 1 from quarantine.rejected_rows q where q.load_id = r._load_id"
                " and q.row_number = r._row_number)"
            ).format(
                sql.SQL(name),
                sql.SQL(parsed + "," if parsed else ""),
                sql.Identifier(kind),
                sql.SQL(", ").join(sql.Literal(i) for i in load_ids),
            )
        )
        # a small sample is enough for what the rules' plans need (row count, distinct keys): the default
        # 30,000-row sample cost as much as building the table
        conn.execute("set local default_statistics_target = 10")
        conn.execute(sql.SQL("analyze {}").format(sql.SQL(name)))


def _validate_kind(
    conn: psycopg.Connection, url, contract, kind, business_date, load_ids, pages: list[dict]
) -> KindResult:
    from kaohe.validation import data_docs

    # One batch table per kind: kaohe_daily runs one date at a time (max_active_runs=1).
    view = f"ingest.batch_{kind}"
    failed: dict[str, int] = {}
    stale = True
    for stage in STAGES:
        # Rebuilt for a stage without the rows quarantined so far, so the relations stage sees only rows
        # whose fields passed; when the stage before quarantined nothing, the table already is that batch.
        if stale:
            _build_batch(conn, contract, kind, view, load_ids)
        stale = False
        specs = build_rule_specs(contract, kind, stage)
        validation, page = _run_checkpoint(url, contract, kind, view, stage, specs, business_date)
        pages.append(page)
        outcomes = sorted(validation.results, key=lambda r: r.expectation_config.meta["order"])
        if len(specs) != len(outcomes):
            raise ValidationError(f"{kind}: suite has {len(specs)} rules but GX returned {len(outcomes)} results")
        with conn.transaction():
            for spec, outcome in zip(specs, outcomes, strict=False):
                if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                    raise ValidationError(
                        f"{kind}: rule {spec.rule} could not run: {outcome.exception_info.get('exception_message')}"
                    )
                if outcome.success:
                    continue
                added = _quarantine(conn, kind, business_date, spec.rule, _row_query(outcome, spec, view))
                if added:
                    failed[spec.rule] = failed.get(spec.rule, 0) + added
                    stale = True
    with conn.transaction():
        _finalise(conn, load_ids)
    read, quarantined = one_row(
        conn,
        "select sum(rows_read), sum(rows_quarantined) from quarantine.file_loads where load_id = any(%s)",
        (load_ids,),
    )
    return KindResult(
        kind,
        len(load_ids),
        int(read or 0),
        int(quarantined or 0),
        failed,
        str(data_docs.index_page(business_date, url)),
    )
