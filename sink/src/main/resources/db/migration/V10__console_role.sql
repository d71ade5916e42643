-- The console's role: what ml_monitoring_reader reads, and the status of the migration beside it
-- (the dual-write state and its history, the parity results, the sink's offsets for its lag), and
-- nothing it could write. The console sets this role on every connection, so its own charts of the
-- legacy shape are recorded under its name and are not taken for a reader of the legacy shape.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'statbridge_console') THEN
        CREATE ROLE statbridge_console NOLOGIN;
    END IF;
END;
$$;

GRANT ml_monitoring_reader TO statbridge_console;
GRANT USAGE ON SCHEMA ml_monitoring TO statbridge_console;
GRANT SELECT ON ml_monitoring.dual_write_state,
                ml_monitoring.dual_write_history,
                ml_monitoring.parity_results,
                ml_monitoring.sink_offsets
             TO statbridge_console;
