with source as (
    select * from {{ staging_new_loads('project_progress') }}
),

renamed as (
    select
        project_id,
        as_of_date,
        cumulative_pct,
        cumulative_investment,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
