-- Metric series: metadata derived from the stat rows, beside them. One row per series
-- (model_name, model_version, metric_type, metric_key) and month of stat_date, kept by the sink in
-- the transaction of each batch from the rows that batch changed, so it is exact after crashes and
-- redeliveries like the rows themselves; a month is the unit 'statbridge series rebuild' replaces,
-- alone and while the sink writes, for history written before this table or by backfill/import.
CREATE TABLE ml_monitoring.metric_series_months (
    model_name      text NOT NULL,
    model_version   text NOT NULL,
    metric_type     text NOT NULL,
    metric_key      text NOT NULL,
    month           date NOT NULL,
    rows            bigint NOT NULL,
    first_date      date NOT NULL,
    last_date       date NOT NULL,
    min_value       double precision NOT NULL,
    max_value       double precision NOT NULL,
    last_written_at timestamptz NOT NULL,
    -- how the series' newest events came: 'v1' upcast by the pipeline, 'v2' published as v2; null
    -- when only rebuilt from the tables, which do not record it
    last_path       text CHECK (last_path IN ('v1', 'v2')),
    PRIMARY KEY (model_name, model_version, metric_type, metric_key, month)
);

-- The slices each series has been seen with (rows are never deleted from the stat tables, so the
-- set only grows).
CREATE TABLE ml_monitoring.metric_series_slices (
    model_name    text NOT NULL,
    model_version text NOT NULL,
    metric_type   text NOT NULL,
    metric_key    text NOT NULL,
    slice_key     text NOT NULL,
    PRIMARY KEY (model_name, model_version, metric_type, metric_key, slice_key)
);

-- What analysts and statbridge read: one row per series.
CREATE VIEW ml_monitoring.metric_series AS
SELECT m.model_name,
       m.model_version,
       m.metric_type,
       m.metric_key,
       sum(m.rows)::bigint AS rows,
       min(m.first_date) AS first_date,
       max(m.last_date) AS last_date,
       min(m.min_value) AS min_value,
       max(m.max_value) AS max_value,
       (SELECT count(*) FROM ml_monitoring.metric_series_slices s
         WHERE s.model_name = m.model_name AND s.model_version = m.model_version
           AND s.metric_type = m.metric_type AND s.metric_key = m.metric_key) AS slices,
       max(m.last_written_at) AS last_written_at,
       (array_agg(m.last_path ORDER BY m.last_written_at DESC) FILTER (WHERE m.last_path IS NOT NULL))[1] AS last_path
FROM ml_monitoring.metric_series_months m
WHERE m.rows > 0
GROUP BY m.model_name, m.model_version, m.metric_type, m.metric_key;

-- 'statbridge series rebuild': each run, and the months it has replaced (a rerun after a crash
-- carries on with the months its run has not done yet).
CREATE TABLE ml_monitoring.series_rebuild_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    months      integer NOT NULL
);
CREATE TABLE ml_monitoring.series_rebuild_months (
    run_id   bigint NOT NULL REFERENCES ml_monitoring.series_rebuild_runs (id),
    month    date NOT NULL,
    rows     bigint NOT NULL,
    series   integer NOT NULL,
    done_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, month)
);

GRANT SELECT ON ml_monitoring.metric_series, ml_monitoring.metric_series_months, ml_monitoring.metric_series_slices,
                ml_monitoring.series_rebuild_runs, ml_monitoring.series_rebuild_months
             TO ml_monitoring_reader;

-- How the sink gathers what a batch does to the series: statement-level triggers on the stats table
-- read the rows each statement inserted, and the old and new versions of those it updated, from
-- their transition tables (the exact versions replaced, whoever wrote them before), and add a
-- summary per series, month and slice to a temporary table of the session; the sink folds it into
-- metric_series_months at the end of the batch, in the same transaction. Only a transaction that
-- asked for it (ml_monitoring.metric_series_batch()) is gathered: backfill, import and hand-written
-- statements are not (rebuild after them).
CREATE FUNCTION ml_monitoring.metric_series_batch() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('pg_temp.metric_series_delta') IS NULL THEN
        CREATE TEMPORARY TABLE metric_series_delta (
            model_name    text NOT NULL,
            model_version text NOT NULL,
            metric_type   text NOT NULL,
            metric_key    text NOT NULL,
            month         date NOT NULL,
            slice_key     text NOT NULL,
            rows          bigint NOT NULL,
            first_date    date NOT NULL,
            last_date     date NOT NULL,
            min_value     double precision NOT NULL,
            max_value     double precision NOT NULL,
            raised_from   double precision,
            lowered_from  double precision
        ) ON COMMIT DELETE ROWS;
    END IF;
    PERFORM set_config('statbridge.metric_series', 'on', true);
END;
$$;

CREATE FUNCTION ml_monitoring.metric_series_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('statbridge.metric_series', true) = 'on' THEN
        INSERT INTO pg_temp.metric_series_delta
        SELECT model_name, model_version, metric_type, metric_key, date_trunc('month', stat_date)::date, slice_key,
               count(*), min(stat_date), max(stat_date), min(metric_value), max(metric_value), NULL, NULL
        FROM inserted_rows GROUP BY 1, 2, 3, 4, 5, 6;
    END IF;
    RETURN NULL;
END;
$$;

-- A corrected value may have been its month's minimum or maximum: the smallest old value that went
-- up and the largest that went down say so.
CREATE FUNCTION ml_monitoring.metric_series_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('statbridge.metric_series', true) = 'on' THEN
        INSERT INTO pg_temp.metric_series_delta
        SELECT n.model_name, n.model_version, n.metric_type, n.metric_key, date_trunc('month', n.stat_date)::date, n.slice_key,
               0, min(n.stat_date), max(n.stat_date), min(n.metric_value), max(n.metric_value),
               min(o.metric_value) FILTER (WHERE n.metric_value > o.metric_value),
               max(o.metric_value) FILTER (WHERE n.metric_value < o.metric_value)
        FROM new_rows n
        JOIN old_rows o ON o.model_name = n.model_name AND o.model_version = n.model_version AND o.stat_date = n.stat_date
                       AND o.slice_key = n.slice_key AND o.metric_type = n.metric_type AND o.metric_key = n.metric_key
        GROUP BY 1, 2, 3, 4, 5, 6;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER metric_series_inserted AFTER INSERT ON ml_monitoring.model_stats_daily
    REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION ml_monitoring.metric_series_inserted();
CREATE TRIGGER metric_series_updated AFTER UPDATE ON ml_monitoring.model_stats_daily
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ml_monitoring.metric_series_updated();
