-- Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file.
with source as (
    select * from {{ staging_new_loads('evaluations') }}
),

renamed as (
    select
        evaluator_group,
        evaluator_id,
        target_type,
        target_id,
        quarter,
        score,
        {{ staging_lineage('delivered_on') }}
    from source
)

select * from renamed
