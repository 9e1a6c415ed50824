-- payroll.quarterly_adjustments (kept by kaohe.payroll, not by dbt), as the marts read it: a view, so that a
-- version published a moment ago counts (sources are read in staging only).
{{ config(materialized='view') }}
select * from {{ source('payroll', 'quarterly_adjustments') }}
