-- Runs once, on the first start of an empty data volume (postgres image:
-- /docker-entrypoint-initdb.d, as the superuser, with ON_ERROR_STOP).
-- Two databases on one server: `airflow` (Airflow metadata + Celery results)
-- and `kaohe` (the warehouse), each owned by its own login role; and `superset`,
-- the dashboards' metadata (bi/superset/).
-- No password is written here: psql reads them from the container's
-- environment (\getenv, psql >= 15), which docker-compose fills from .env.

\getenv airflow_password AIRFLOW_DB_PASSWORD
\getenv kaohe_password KAOHE_DB_PASSWORD
\getenv bi_password KAOHE_BI_PASSWORD
\getenv payroll_password KAOHE_PAYROLL_PASSWORD
\getenv superset_password SUPERSET_DB_PASSWORD

\if :{?airflow_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'AIRFLOW_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?kaohe_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KAOHE_DB_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?bi_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KAOHE_BI_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?payroll_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'KAOHE_PAYROLL_PASSWORD is not set in the postgres container'; END $$;
\endif
\if :{?superset_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'SUPERSET_DB_PASSWORD is not set in the postgres container'; END $$;
\endif

CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow ENCODING 'UTF8' TEMPLATE template0;

-- The warehouse owner runs the loads, dbt and the GX checks; it creates the
-- schemas (ingest, staging, marts, payroll, quarantine, ...) in its database.
CREATE ROLE kaohe LOGIN PASSWORD :'kaohe_password';
CREATE DATABASE kaohe OWNER kaohe ENCODING 'UTF8' TEMPLATE template0;

-- The readers (kaohe.access): dashboards read schema marts only, the payroll system
-- schema payroll only. kaohe grants them their schema on every run.
CREATE ROLE kaohe_bi LOGIN PASSWORD :'bi_password';
CREATE ROLE kaohe_payroll LOGIN PASSWORD :'payroll_password';
GRANT CONNECT ON DATABASE kaohe TO kaohe_bi, kaohe_payroll;

-- Superset's own metadata (users, dashboards, saved queries); it reads the warehouse as kaohe_bi.
-- A server initialised before this line existed needs these two statements run once by hand.
CREATE ROLE superset LOGIN PASSWORD :'superset_password';
CREATE DATABASE superset OWNER superset ENCODING 'UTF8' TEMPLATE template0;

-- PUBLIC gets no CONNECT on any of the databases: only the owners (and the roles
-- they grant to) may connect.
REVOKE CONNECT, TEMPORARY ON DATABASE airflow FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE kaohe FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE superset FROM PUBLIC;
