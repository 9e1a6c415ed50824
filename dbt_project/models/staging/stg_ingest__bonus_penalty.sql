with source as (
    select * from {{ staging_new_loads('bonus_penalty') }}
),

renamed as (
    select
        event_id,
        dept_code,
        cadre_id,
        indicator_code,
        occurred_on,
        points,
        reason,
        document_no,
        withdrawn,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
