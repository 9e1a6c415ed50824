-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('project_progress') }}
),

renamed as (
    select
        project_id,
        as_of_date,
        cumulative_pct,
        cumulative_investment,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
