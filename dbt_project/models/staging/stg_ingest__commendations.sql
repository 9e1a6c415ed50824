-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('commendations') }}
),

renamed as (
    select
        cadre_id,
        quarter,
        basis,
        document_no,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
