with source as (
    select * from {{ staging_new_loads('departments') }}
),

renamed as (
    select
        dept_code,
        dept_name,
        dept_class,
        head_cadre_id,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
