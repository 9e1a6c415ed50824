-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('projects') }}
),

renamed as (
    select
        project_id,
        name,
        year,
        lead_dept_code,
        lead_cadre_id,
        planned_investment,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
