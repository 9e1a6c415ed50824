-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('supervision') }}
),

renamed as (
    select
        event_id,
        event_type,
        dept_code,
        cadre_id,
        occurred_on,
        resolved_on,
        subject,
        document_no,
        withdrawn,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
