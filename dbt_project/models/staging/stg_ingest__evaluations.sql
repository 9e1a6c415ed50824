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
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
