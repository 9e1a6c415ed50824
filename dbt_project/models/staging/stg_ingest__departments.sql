-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('departments') }}
),

renamed as (
    select
        dept_code,
        dept_name,
        dept_class,
        head_cadre_id,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
