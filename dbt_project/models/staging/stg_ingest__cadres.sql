-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('cadres') }}
),

renamed as (
    select
        cadre_id,
        name,
        dept_code,
        role,
        quarterly_base_pay,
        active,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
