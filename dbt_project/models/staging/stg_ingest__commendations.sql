with source as (
    select * from {{ staging_new_loads('commendations') }}
),

renamed as (
    select
        cadre_id,
        quarter,
        basis,
        document_no,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
