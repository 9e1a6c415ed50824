-- quarantine.file_loads (written by kaohe's loader and validation, not by dbt), as every model downstream reads it:
-- a view, so that it is always the ledger as it stands (sources are read in staging only).
{{ config(materialized='view') }}
select * from {{ source('quarantine', 'file_loads') }}
