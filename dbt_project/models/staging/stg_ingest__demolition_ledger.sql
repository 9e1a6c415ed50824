-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('demolition_ledger') }}
),

renamed as (
    select
        household_id,
        zone_id,
        group_id,
        status,
        status_date,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
