-- statbridge: the new split tables, the legacy-shaped table, the catalog, and the sink's bookkeeping.
-- Stat tables are partitioned by stat_date (one partition a month, created ahead by the sink), so
-- purging old data and reading a date range stay cheap as years accumulate.

CREATE SCHEMA IF NOT EXISTS ml_monitoring;

-- Every batch the sink commits takes one number from here; rows carry the batch's number so that
-- "everything written since X" is exact, whatever the clocks say.
CREATE SEQUENCE ml_monitoring.write_seq;

CREATE TABLE ml_monitoring.metric_catalog (
    metric_name text NOT NULL PRIMARY KEY,
    metric_type text NOT NULL CHECK (metric_type IN ('ONLINE', 'BUSINESS', 'DRIFT')),
    metric_key  text NOT NULL,
    origin      text NOT NULL DEFAULT 'MANUAL',
    added_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (metric_type, metric_key)
);

CREATE TABLE ml_monitoring.model_stats_daily (
    model_name       text NOT NULL,
    model_version    text NOT NULL,
    stat_date        date NOT NULL,
    slice_key        text NOT NULL,
    metric_type      text NOT NULL CHECK (metric_type IN ('ONLINE', 'BUSINESS', 'DRIFT')),
    metric_key       text NOT NULL,
    metric_value     double precision NOT NULL,
    -- bookkeeping: the version that decides "later wins", lineage, and the batch that wrote it
    event_time       timestamptz NOT NULL,
    source_offset    bigint NOT NULL DEFAULT -1,
    source_topic     text,
    source_partition integer,
    write_seq        bigint NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_type, metric_key)
) PARTITION BY RANGE (stat_date);

CREATE TABLE ml_monitoring.model_business_stats_daily (
    model_name            text NOT NULL,
    model_version         text NOT NULL,
    stat_date             date NOT NULL,
    slice_key             text NOT NULL,
    metric_type           text NOT NULL CHECK (metric_type IN ('ONLINE', 'BUSINESS', 'DRIFT')),
    metric_key            text NOT NULL,
    business_metric_value double precision NOT NULL,
    event_time            timestamptz NOT NULL,
    source_offset         bigint NOT NULL DEFAULT -1,
    source_topic          text,
    source_partition      integer,
    write_seq             bigint NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_type, metric_key)
) PARTITION BY RANGE (stat_date);

-- A KPI withdrawn by a null business value: the row leaves model_business_stats_daily, and this
-- remembers the withdrawal's version so that an older value arriving late cannot bring it back.
CREATE TABLE ml_monitoring.business_withdrawals (
    model_name    text NOT NULL,
    model_version text NOT NULL,
    stat_date     date NOT NULL,
    slice_key     text NOT NULL,
    metric_type   text NOT NULL,
    metric_key    text NOT NULL,
    event_time    timestamptz NOT NULL,
    source_offset bigint NOT NULL DEFAULT -1,
    write_seq     bigint NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_type, metric_key)
);

CREATE TABLE ml_monitoring.model_stats_daily_legacy (
    model_name            text NOT NULL,
    model_version         text NOT NULL,
    stat_date             date NOT NULL,
    slice_key             text NOT NULL,
    metric_name           text NOT NULL,
    metric_value          double precision,
    business_metric_value double precision,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_name)
) PARTITION BY RANGE (stat_date);

-- The legacy shape rebuilt from the new tables: what the legacy table must equal, what parity
-- checks compare against, and what answers for the legacy table while dual-write is off.
CREATE VIEW ml_monitoring.model_stats_daily_legacy_rebuilt AS
SELECT s.model_name,
       s.model_version,
       s.stat_date,
       s.slice_key,
       c.metric_name,
       s.metric_value,
       b.business_metric_value,
       GREATEST(s.updated_at, b.updated_at) AS updated_at,
       s.metric_type,
       s.metric_key
FROM ml_monitoring.model_stats_daily s
JOIN ml_monitoring.metric_catalog c
  ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key
LEFT JOIN ml_monitoring.model_business_stats_daily b
  ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date
 AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key;

-- The sink's consumed offsets, written in the same transaction as the rows.
CREATE TABLE ml_monitoring.sink_offsets (
    consumer_group text NOT NULL,
    topic          text NOT NULL,
    partition      integer NOT NULL,
    next_offset    bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);

-- Dual-write: one current state row and its history.
CREATE TABLE ml_monitoring.dual_write_state (
    id               integer PRIMARY KEY CHECK (id = 1),
    mode             text NOT NULL CHECK (mode IN ('ON', 'OFF')),
    grace_period_end timestamptz,
    on_grace_end     text NOT NULL DEFAULT 'WARN' CHECK (on_grace_end IN ('SWITCH_OFF', 'WARN')),
    changed_by       text NOT NULL,
    changed_at       timestamptz NOT NULL DEFAULT now(),
    reason           text,
    forced           boolean NOT NULL DEFAULT false,
    write_seq        bigint NOT NULL DEFAULT 0,
    offsets          jsonb NOT NULL DEFAULT '{}'::jsonb
);
INSERT INTO ml_monitoring.dual_write_state (id, mode, changed_by, reason)
VALUES (1, 'ON', 'migration', 'dual-write starts on: both shapes are written');

CREATE TABLE ml_monitoring.dual_write_history (
    id               bigserial PRIMARY KEY,
    mode             text NOT NULL,
    grace_period_end timestamptz,
    on_grace_end     text NOT NULL,
    changed_by       text NOT NULL,
    changed_at       timestamptz NOT NULL,
    reason           text,
    forced           boolean NOT NULL,
    write_seq        bigint NOT NULL,
    offsets          jsonb NOT NULL,
    rows_rebuilt     bigint
);
INSERT INTO ml_monitoring.dual_write_history (mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets)
SELECT mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets
FROM ml_monitoring.dual_write_state;

-- Parity checks between the legacy table and the rebuild from the new tables.
CREATE TABLE ml_monitoring.parity_results (
    id                bigserial PRIMARY KEY,
    checked_at        timestamptz NOT NULL DEFAULT now(),
    selection         text NOT NULL,
    legacy_rows       bigint NOT NULL,
    rebuilt_rows      bigint NOT NULL,
    missing_in_legacy bigint NOT NULL,
    missing_in_new    bigint NOT NULL,
    differing         bigint NOT NULL,
    ok                boolean NOT NULL
);

-- Monthly partitions of the three stat tables; idempotent.
CREATE FUNCTION ml_monitoring.ensure_month_partitions(first_month date, last_month date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month   date := date_trunc('month', first_month)::date;
    created integer := 0;
    parent  text;
    child   text;
BEGIN
    WHILE month <= date_trunc('month', last_month)::date LOOP
        FOREACH parent IN ARRAY ARRAY['model_stats_daily', 'model_business_stats_daily', 'model_stats_daily_legacy'] LOOP
            child := parent || '_' || to_char(month, 'YYYY_MM');
            IF to_regclass('ml_monitoring.' || child) IS NULL
               AND to_regclass('ml_monitoring.' || parent) IS NOT NULL
               AND (SELECT relkind FROM pg_class WHERE oid = to_regclass('ml_monitoring.' || parent)) = 'p' THEN
                EXECUTE format('CREATE TABLE ml_monitoring.%I PARTITION OF ml_monitoring.%I FOR VALUES FROM (%L) TO (%L)',
                               child, parent, month, (month + interval '1 month')::date);
                created := created + 1;
            END IF;
        END LOOP;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN created;
END;
$$;
