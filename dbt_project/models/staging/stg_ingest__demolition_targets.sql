with source as (
    select * from {{ staging_new_loads('demolition_targets') }}
),

renamed as (
    select
        group_id,
        month,
        target_signed,
        target_cleared,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
