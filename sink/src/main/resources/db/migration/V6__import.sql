-- statbridge import: a run per source and selection, the chunks it has committed, and the source
-- rows it refused. The source's selected rows are first staged, checked and numbered, in a table
-- of the run's own (import_stage_<id>, dropped when the run finishes); each chunk is then written
-- with its entry in import_chunks in one transaction, so a run killed at any moment resumes with
-- the chunks it had not committed.
CREATE TABLE ml_monitoring.import_runs (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    selection    text NOT NULL,
    chunk_size   integer NOT NULL CHECK (chunk_size > 0),
    started_at   timestamptz NOT NULL DEFAULT now(),
    staged_at    timestamptz,
    staged_rows  bigint,
    last_number  bigint,
    finished_at  timestamptz
);
CREATE INDEX import_runs_open ON ml_monitoring.import_runs (source, selection) WHERE finished_at IS NULL;

CREATE TABLE ml_monitoring.import_chunks (
    run_id        bigint NOT NULL REFERENCES ml_monitoring.import_runs (id) ON DELETE CASCADE,
    chunk         integer NOT NULL,
    rows_read     bigint NOT NULL,
    rows_written  bigint NOT NULL,
    rows_skipped  bigint NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, chunk)
);

-- Every source row an import did not bring in because it breaks the contract's rules (a missing
-- or over-long identity, a control character, a date out of range, a missing or non-finite value,
-- several different rows for one key), with its key and values as the source holds them.
CREATE TABLE ml_monitoring.import_rejected (
    run_id                bigint NOT NULL REFERENCES ml_monitoring.import_runs (id) ON DELETE CASCADE,
    model_name            text,
    model_version         text,
    stat_date             date,
    slice_key             text,
    metric_name           text,
    metric_value          double precision,
    business_metric_value double precision,
    reason                text NOT NULL,
    message               text NOT NULL
);
CREATE INDEX import_rejected_run ON ml_monitoring.import_rejected (run_id);
