package statbridge.sink;

import java.util.List;
import statbridge.config.Setting;
import statbridge.sink.db.DatabaseSettings;
import statbridge.sink.dualwrite.GraceAction;

/**
 * The sink's own configuration keys. Besides these, {@code sink.consumer.*} keys pass to its Kafka
 * consumer, {@code sink.hikari.*} keys to the HikariCP pool, and {@code kafka.*} keys to every
 * Kafka client.
 */
public final class SinkSettings {

    public static final Setting GROUP_ID = new Setting("sink.group.id", "statbridge-sink",
            "Consumer group of the sink; instances with the same id share the partitions. Offsets live in PostgreSQL under this name.");
    public static final Setting BATCH_MAX_RECORDS = Setting.integer("sink.batch.max.records", 5000, 1, 100_000,
            "Most records written in one database transaction.");
    public static final Setting BATCH_MAX_WAIT_MS = Setting.longInteger("sink.batch.max.wait.ms", 200, 0, 600_000,
            "Longest a record waits for its batch to fill before the batch is written anyway.");
    public static final Setting POOL_SIZE = DatabaseSettings.POOL_SIZE;
    public static final Setting WRITE_LANES = Setting.integer("sink.write.lanes", 2, 1, 64,
            "Transactions a batch is written in side by side, split by partition number (each stores its own partitions' offsets), so PostgreSQL can use more than one core; at most sink.pool.size. 1 writes each batch in one transaction.");
    public static final Setting MIGRATE_ON_START = Setting.bool("sink.migrate.on.start", true,
            "Apply database migrations when the sink starts (else run 'statbridge db migrate').");
    public static final Setting RETRY_MAX_BACKOFF_MS = Setting.longInteger("sink.retry.max.backoff.ms", 30_000, 250, 3_600_000,
            "Longest wait between attempts while PostgreSQL is unavailable (the wait doubles from 250 ms).");
    public static final Setting GRACE_PERIOD_END = Setting.instant("sink.grace.period.end",
            "End of the dual-write grace period (ISO date-time, e.g. 2026-12-31T00:00:00Z); none by default. Written to the dual-write state when the sink starts.");
    public static final Setting GRACE_PERIOD_ACTION = Setting.choice("sink.grace.period.action", GraceAction.WARN, GraceAction.class,
            "What happens when the grace period ends: SWITCH_OFF (dual-write off automatically, if parity holds) or WARN (keep writing, warn).");
    public static final Setting PARTITIONS_AHEAD_MONTHS = Setting.integer("sink.partitions.ahead.months", 3, 0, 120,
            "Monthly table partitions created ahead of the current month at start (others are created as data needs them).");
    public static final Setting PARTITION_FILLFACTOR = Setting.integer("sink.partition.fillfactor", 100, 10, 100,
            "How full (percent) PostgreSQL fills the pages of the monthly partitions the sink creates. Below 100 leaves room for corrections (a newer event for a stored row) to be HOT updates, which add no index entries: 80 for a stream that corrects much of what it writes; 100 packs rows that are written once. Partitions that exist keep theirs.");
    public static final Setting METRIC_SERIES = Setting.bool("sink.metric.series", true,
            "Keep ml_monitoring.metric_series (rows, dates, values and slices per series) in each batch's transaction. When off, run 'statbridge series rebuild' before reading it.");

    public static final Setting ACCEPT_DATA_LOSS = Setting.list("sink.accept.data.loss", null,
            "Partitions (e.g. model-stats.v2-3, comma-separated, or 'all') allowed to continue from the log start when the offset stored with the rows is below it (retention deleted records the sink never wrote). Any other such partition stops, with the reason on /health and in statbridge_sink_partitions_stopped, until an operator lists it here or passes it to 'statbridge sink --accept-data-loss'.")
            .validatedBy("partitions as topic-N (e.g. model-stats.v2-3), comma-separated, or all",
                    value -> java.util.Arrays.stream(value.split(",")).map(String::trim)
                            .allMatch(item -> item.equals("all") || item.matches(".+-\\d+")));

    /** Keys that go to the sink's Kafka consumer as they are, without the prefix. */
    public static final String CONSUMER_PASS_THROUGH = "sink.consumer.";

    private SinkSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(SinkSettings.class);
    }
}
