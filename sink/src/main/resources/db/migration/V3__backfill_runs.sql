-- Checkpoints of statbridge backfill runs: a run interrupted at any moment resumes after the last
-- chunk it committed (the checkpoint is written in the same transaction as the chunk).
CREATE TABLE ml_monitoring.backfill_runs (
    id             bigserial PRIMARY KEY,
    direction      text NOT NULL CHECK (direction IN ('legacy-to-new', 'new-to-legacy')),
    selection      text NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    last_key       text[],
    rows_read      bigint NOT NULL DEFAULT 0,
    rows_written   bigint NOT NULL DEFAULT 0,
    rows_skipped   bigint NOT NULL DEFAULT 0
);
CREATE INDEX backfill_runs_open ON ml_monitoring.backfill_runs (direction, selection) WHERE finished_at IS NULL;
