-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('bonus_penalty') }}
),

renamed as (
    select
        event_id,
        dept_code,
        cadre_id,
        indicator_code,
        occurred_on,
        points,
        reason,
        document_no,
        withdrawn,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
