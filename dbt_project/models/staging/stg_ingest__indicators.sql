with source as (
    select * from {{ staging_new_loads('indicators') }}
),

renamed as (
    select
        indicator_code,
        name,
        category,
        level1,
        level2,
        scoring,
        source,
        unit,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
