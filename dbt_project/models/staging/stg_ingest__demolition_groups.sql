-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('demolition_groups') }}
),

renamed as (
    select
        group_id,
        zone_id,
        zone_name,
        leader_cadre_id,
        dept_code,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
