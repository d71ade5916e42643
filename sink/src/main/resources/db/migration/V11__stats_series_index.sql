-- The rows of one series in one month, in date order: what the sink reads when a correction may have
-- taken a month's minimum or maximum away (the primary key leads with the model, its version and the
-- date, so through it that month is every metric of the model). It ends with the slice, so that it
-- holds the whole key and a lookup of one row by its key costs the same through it as through the
-- primary key (with a prefix of the key only, the series' columns or those and the date, the planner
-- took it for the legacy rebuild's lookups and filtered a series' rows one by one: 340 to 715 blocks
-- a lookup instead of about 4). Partitions, present and future, get the index from the parent. On a
-- table that already holds history this builds one index per partition and holds writes to it until
-- done.
CREATE INDEX model_stats_daily_series
    ON ml_monitoring.model_stats_daily (model_name, model_version, metric_type, metric_key, stat_date, slice_key);
