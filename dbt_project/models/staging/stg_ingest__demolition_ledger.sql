with source as (
    select * from {{ staging_new_loads('demolition_ledger') }}
),

renamed as (
    select
        household_id,
        zone_id,
        group_id,
        status,
        status_date,
        _business_date as delivered_on,
        _load_id as load_id,
        _row_number as row_number,
        _file as file_name
    from source
)

select * from renamed
