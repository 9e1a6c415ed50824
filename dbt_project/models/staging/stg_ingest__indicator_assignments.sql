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
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
