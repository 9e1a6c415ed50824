-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('indicator_assignments') }}
),

renamed as (
    select
        year,
        dept_code,
        indicator_code,
        weight,
        q1_target,
        q2_target,
        q3_target,
        q4_target,
        {{ staging_lineage('snapshot_date') }}
    from source
)

select * from renamed
