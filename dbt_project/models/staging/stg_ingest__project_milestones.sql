with source as (
    select * from {{ staging_new_loads('project_milestones') }}
),

renamed as (
    select
        project_id,
        month,
        planned_cumulative_pct,
        _business_date as snapshot_date,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
