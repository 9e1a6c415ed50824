with source as (
    select * from {{ staging_new_loads('cadres') }}
),

renamed as (
    select
        cadre_id,
        name,
        dept_code,
        role,
        quarterly_base_pay,
        active,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
