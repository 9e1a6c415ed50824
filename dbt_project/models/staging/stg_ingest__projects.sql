{{ config(
    materialized='incremental',
    incremental_strategy='append',
    indexes=[{'columns': ['load_id']}],
    pre_hook="{{ staging_drop_replaced('projects') }}",
) }}

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
