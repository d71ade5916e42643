-- A month's partitions created with room on their pages (sink.partition.fillfactor): a correction
-- ("later wins" replacing a stored value) then writes the new version beside the old on the same
-- page, a HOT update that adds no index entry, instead of a new entry in every index of the table.
-- 100, the default, packs the pages as before. Existing partitions keep theirs.
DROP FUNCTION ml_monitoring.ensure_month_partition(text, date);
CREATE FUNCTION ml_monitoring.ensure_month_partition(parent text, month date, fillfactor integer DEFAULT 100) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    child     text := parent || '_' || to_char(month, 'YYYY_MM');
BEGIN
    IF parent NOT IN ('model_stats_daily', 'model_business_stats_daily', 'model_stats_daily_legacy') THEN
        RAISE EXCEPTION 'not a monthly partitioned stat table: %', parent;
    END IF;
    IF fillfactor IS NULL OR fillfactor < 10 OR fillfactor > 100 THEN
        RAISE EXCEPTION 'a fillfactor is from 10 to 100, not %', fillfactor;
    END IF;
    IF to_regclass('ml_monitoring.' || quote_ident(child)) IS NOT NULL
       OR to_regclass('ml_monitoring.' || quote_ident(parent)) IS NULL
       OR (SELECT relkind FROM pg_class WHERE oid = to_regclass('ml_monitoring.' || quote_ident(parent))) <> 'p' THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE ml_monitoring.%I PARTITION OF ml_monitoring.%I FOR VALUES FROM (%L) TO (%L)%s',
                   child, parent, first_day, (first_day + interval '1 month')::date,
                   CASE WHEN fillfactor < 100 THEN format(' WITH (fillfactor = %s)', fillfactor) ELSE '' END);
    RETURN true;
END;
$$;
