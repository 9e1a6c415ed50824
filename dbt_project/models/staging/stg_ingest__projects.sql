with source as (
    select * from {{ staging_new_loads('projects') }}
),

renamed as (
    select
        project_id,
        name,
        year,
        lead_dept_code,
        lead_cadre_id,
        planned_investment,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
