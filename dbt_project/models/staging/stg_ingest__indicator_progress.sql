-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('indicator_progress') }}
),

renamed as (
    select
        dept_code,
        indicator_code,
        as_of_date,
        cumulative_value,
        note,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
