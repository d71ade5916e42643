-- Creating a partition takes an ACCESS EXCLUSIVE lock on its parent. Creating the partitions of all
-- three stat tables in one transaction held the first parent's lock while waiting for the next,
-- and a reader of two of them (verify, a parity check, an analyst's join) could deadlock with it.
-- Callers now create one partition per transaction with this function.
CREATE FUNCTION ml_monitoring.ensure_month_partition(parent text, month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    child     text := parent || '_' || to_char(month, 'YYYY_MM');
BEGIN
    IF parent NOT IN ('model_stats_daily', 'model_business_stats_daily', 'model_stats_daily_legacy') THEN
        RAISE EXCEPTION 'not a monthly partitioned stat table: %', parent;
    END IF;
    IF to_regclass('ml_monitoring.' || quote_ident(child)) IS NOT NULL
       OR to_regclass('ml_monitoring.' || quote_ident(parent)) IS NULL
       OR (SELECT relkind FROM pg_class WHERE oid = to_regclass('ml_monitoring.' || quote_ident(parent))) <> 'p' THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE ml_monitoring.%I PARTITION OF ml_monitoring.%I FOR VALUES FROM (%L) TO (%L)',
                   child, parent, first_day, (first_day + interval '1 month')::date);
    RETURN true;
END;
$$;

-- Kept for scripts that prepare a range of months in one call (all three tables, one transaction).
CREATE OR REPLACE FUNCTION ml_monitoring.ensure_month_partitions(first_month date, last_month date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month   date := date_trunc('month', first_month)::date;
    created integer := 0;
    parent  text;
BEGIN
    WHILE month <= date_trunc('month', last_month)::date LOOP
        FOREACH parent IN ARRAY ARRAY['model_stats_daily', 'model_business_stats_daily', 'model_stats_daily_legacy'] LOOP
            IF ml_monitoring.ensure_month_partition(parent, month) THEN
                created := created + 1;
            END IF;
        END LOOP;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END;
$$;
