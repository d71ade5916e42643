-- The analysts' read-only role: SELECT on the analyst-facing tables and views, nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ml_monitoring_reader') THEN
        CREATE ROLE ml_monitoring_reader NOLOGIN;
    END IF;
END;
$$;

GRANT USAGE ON SCHEMA ml_monitoring TO ml_monitoring_reader;
GRANT SELECT ON ml_monitoring.model_stats_daily,
                ml_monitoring.model_business_stats_daily,
                ml_monitoring.model_stats_daily_legacy,
                ml_monitoring.model_stats_daily_legacy_rebuilt,
                ml_monitoring.metric_catalog
             TO ml_monitoring_reader;
