-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('demolition_group_members') }}
),

renamed as (
    select
        group_id,
        cadre_id,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
