-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('project_milestones') }}
),

renamed as (
    select
        project_id,
        month,
        planned_cumulative_pct,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
