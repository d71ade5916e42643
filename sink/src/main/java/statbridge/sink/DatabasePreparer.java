package statbridge.sink;

import java.sql.SQLException;
import java.time.YearMonth;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.sink.catalog.CatalogAuthority;
import statbridge.sink.db.Database;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteSwitch;

/**
 * What the database needs before the sink writes: the migrations (when
 * {@code sink.migrate.on.start}), this season's monthly partitions, the configured grace period,
 * and a catalog topic that agrees with the catalog table. A disagreement stops the sink
 * ({@code CatalogDivergenceException}): writing on would rebuild legacy rows under the wrong names.
 */
final class DatabasePreparer {

    private static final Logger LOG = LoggerFactory.getLogger(DatabasePreparer.class);

    private final SinkConfig config;
    private final Database database;
    private final Partitions partitions;
    private final DualWriteSwitch dualWrite;

    DatabasePreparer(SinkConfig config, Database database, Partitions partitions, DualWriteSwitch dualWrite) {
        this.config = config;
        this.database = database;
        this.partitions = partitions;
        this.dualWrite = dualWrite;
    }

    /** Prepares the database; what the table has and the topic lost goes back to the topic, and {@code catalog} reads it. */
    void prepare(CatalogMirror catalog) throws SQLException {
        if (config.migrateOnStart()) {
            int applied = database.migrate();
            if (applied > 0) {
                LOG.info("applied {} database migration(s)", applied);
            }
        }
        YearMonth now = YearMonth.now();
        partitions.ensureRange(now.minusMonths(1), now.plusMonths(config.partitionsAheadMonths()));
        if (config.gracePeriodEnd() != null) {
            dualWrite.configureGracePeriod(config.gracePeriodEnd(), config.graceAction(), "sink configuration");
        }
        List<CatalogEntry> restored = CatalogAuthority.reconcile(new CatalogTopic(config.kafka(), config.catalogTopic()),
                config.catalogTopic(), database.dataSource(), "the sink");
        if (!restored.isEmpty()) {
            catalog.catchUp();
            LOG.warn("the catalog topic '{}' lacked {} entr(y/ies) that ml_monitoring.metric_catalog holds (was it deleted?); "
                    + "published them again: {}", config.catalogTopic(), restored.size(),
                    restored.stream().map(CatalogEntry::metricName).toList());
        }
    }
}
