{# Staging models are incremental tables, not views: every model downstream reads
   parsed, indexed rows instead of re-parsing all of raw through ingest.valid_<kind>
   (as views, the as-of lookups re-ran the parse inside nested loops; see
   docs/performance.md). A run adds the rows of the loads validated since the last
   run and drops the rows of loads that stopped being in force (superseded by a
   resubmission): the same rows as the view, at the cost of the day's loads.

   staging_new_loads(kind): the relation to select from — the whole valid view on a
   first (or --full-refresh) build, else only the loaded loads not yet staged. #}
{% macro staging_new_loads(kind) -%}
{%- set valid = source('ingest', 'valid_' ~ kind) -%}
{%- set loads = source('quarantine', 'file_loads') -%}
{%- if is_incremental() -%}
{%- set new_load_ids -%}
select f.load_id from {{ loads }} f
    where f.kind = '{{ kind }}' and f.status = 'loaded'
      and not exists (select 1 from {{ this }} t where t.load_id = f.load_id)
{%- endset -%}
(select v.* from {{ valid }} v
  where v._load_id in ({{ new_load_ids }})
    -- a range the BRIN index on raw._load_id can use: only the new loads' pages are read
    and v._load_id >= (select coalesce(min(n.load_id), 0) from ({{ new_load_ids }}) n)) as new_loads
{%- else -%}
{{ valid }}
{%- endif -%}
{%- endmacro %}


{# pre_hook: drop the rows of loads no longer in force (superseded by a resubmission). #}
{% macro staging_drop_replaced(kind) -%}
{%- set loads = source('quarantine', 'file_loads') -%}
{%- if is_incremental() -%}
delete from {{ this }} where load_id in (
    select load_id from {{ loads }} where kind = '{{ kind }}' and status <> 'loaded')
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

