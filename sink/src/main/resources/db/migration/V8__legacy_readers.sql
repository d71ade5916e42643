-- Who still reads the legacy shape: every distinct query on model_stats_daily_legacy (the table,
-- its archive, the view after switch-off, or a view of the user's over them), by role, sampled
-- from pg_stat_statements by the sink. pg_stat_statements' counters restart when it is reset or
-- the server restarts; these keep adding, so the history survives both.
CREATE TABLE ml_monitoring.legacy_readers (
    role_name   text NOT NULL,
    queryid     bigint NOT NULL,
    query       text NOT NULL,
    calls       bigint NOT NULL,
    rows        bigint NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    -- pg_stat_statements' own counters at the last sample, to add only what is new
    seen_calls  bigint NOT NULL,
    seen_rows   bigint NOT NULL,
    PRIMARY KEY (role_name, queryid)
);

-- The sampling itself: since when readers are recorded (what a quiet period can rely on), the
-- last sample, pg_stat_statements' reset time then, and why the last attempt saw nothing.
CREATE TABLE ml_monitoring.legacy_reader_sampling (
    id            integer PRIMARY KEY CHECK (id = 1),
    since         timestamptz,
    sampled_at    timestamptz,
    stats_reset   timestamptz,
    problem       text,
    problem_at    timestamptz
);
INSERT INTO ml_monitoring.legacy_reader_sampling (id) VALUES (1);

GRANT SELECT ON ml_monitoring.legacy_readers, ml_monitoring.legacy_reader_sampling TO ml_monitoring_reader;
