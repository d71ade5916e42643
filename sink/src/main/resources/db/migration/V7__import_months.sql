-- Months an import brought in whole, as partitions of their own: for a month statbridge held nothing
-- of, the new tables' and the legacy table's rows are built in tables apart from the live ones,
-- then attached as the month's partitions in one transaction with the month's row here. A run
-- killed before that commit builds the month again; after it, the month is done.
CREATE TABLE ml_monitoring.import_months (
    run_id        bigint NOT NULL REFERENCES ml_monitoring.import_runs (id) ON DELETE CASCADE,
    month         date NOT NULL CHECK (month = date_trunc('month', month)::date),
    rows_read     bigint NOT NULL,
    rows_written  bigint NOT NULL,
    rows_skipped  bigint NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, month)
);

-- A run's chunks are now ranges of its stage table's blocks (the stage is written by a parallel
-- scan, without numbering its rows), so the column counts blocks. A run left open by an earlier
-- version stages its rows again, and its chunks with them.
ALTER TABLE ml_monitoring.import_runs RENAME COLUMN last_number TO stage_blocks;
DELETE FROM ml_monitoring.import_chunks c USING ml_monitoring.import_runs r WHERE c.run_id = r.id AND r.finished_at IS NULL;
UPDATE ml_monitoring.import_runs SET staged_rows = NULL, stage_blocks = NULL WHERE finished_at IS NULL;
