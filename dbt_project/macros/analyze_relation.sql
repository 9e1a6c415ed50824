{# post-hook of every table model: fresh planner statistics for the models built after it.
   A model built in this run has none until autovacuum comes by, and without them the planner
   guessed nested loops (a year of district history: 98 s in one model instead of 0.3 s).
   Tables under 256 kB (most, at district scale) are skipped: their guesses do no harm and an
   ANALYZE per model would add seconds to every run. #}
{% macro analyze_relation() -%}
{%- if model.config.materialized in ('table', 'incremental') -%}
do $$ begin
  if pg_relation_size('{{ this }}') > 262144 then
    analyze {{ this }};
  end if;
end $$
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
