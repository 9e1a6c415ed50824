with source as (
    select * from {{ staging_new_loads('indicator_progress') }}
),

renamed as (
    select
        dept_code,
        indicator_code,
        as_of_date,
        cumulative_value,
        note,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
