-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('indicators') }}
),

renamed as (
    select
        indicator_code,
        name,
        category,
        level1,
        level2,
        scoring,
        source,
        unit,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
