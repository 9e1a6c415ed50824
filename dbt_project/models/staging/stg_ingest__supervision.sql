with source as (
    select * from {{ staging_new_loads('supervision') }}
),

renamed as (
    select
        event_id,
        event_type,
        dept_code,
        cadre_id,
        occurred_on,
        resolved_on,
        subject,
        document_no,
        withdrawn,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
