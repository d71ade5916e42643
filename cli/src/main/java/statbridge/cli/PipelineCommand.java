package statbridge.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statbridge.operations.ComponentRunner;
import statbridge.operations.OperationsServer;
import statbridge.operations.OperationsSettings;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.sink.catalog.CatalogAuthority;
import statbridge.sink.catalog.CatalogDivergenceException;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;

/** {@code statbridge pipeline}: runs the upcaster against an existing Kafka and registry until stopped. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = {
            "Runs the Kafka Streams pipeline that upcasts ModelStat v1 events into ModelStat v2 and BusinessStat v2 "
                    + "events (exactly once), dead-lettering what it cannot upcast. Runs until SIGTERM or Ctrl-C; "
                    + "run more instances with the same pipeline.application.id to share the partitions.",
            "Every pipeline.streams.* key passes to Kafka Streams and every kafka.* key to the Kafka clients."
        })
final class PipelineCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9401",
            description = "Port for /metrics (Prometheus) and /health; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        statbridge.config.Configuration configuration = connection.resolve();
        PipelineConfig pipelineConfig = PipelineConfig.from(configuration);
        checkCatalog(configuration, pipelineConfig);
        PipelineApp app = new PipelineApp(pipelineConfig, registry);
        return ComponentRunner.run(app, registry, configuration.get(OperationsSettings.BIND_ADDRESS), metricsPort)
                ? ExitCodes.OK : ExitCodes.PROBLEM;
    }

    /**
     * Before inferring a single name, makes the catalog topic agree with the database's copy (what
     * the topic lost goes back; a disagreement refuses to start, with the details). A database the
     * pipeline cannot reach is a warning: the pipeline itself does not need it, and the sink checks
     * again when it starts.
     */
    private static void checkCatalog(statbridge.config.Configuration configuration, PipelineConfig config) {
        if (configuration.getBoolean(statbridge.pipeline.PipelineSettings.CREATE_TOPICS)) {
            statbridge.topics.TopicCreator.ensure(config.streams(), java.util.List.of(new statbridge.topics.TopicCreator.Spec(
                    config.catalogTopic(), statbridge.topics.TopicCreator.COMPACTED)), config.topicPartitions(),
                    config.topicReplicationFactor());
        }
        DatabaseConfig database = DatabaseConfig.from(configuration);
        DatabaseConfig one = new DatabaseConfig(database.jdbcUrl(), database.user(), database.password(), 1, database.hikari());
        try (Database db = Database.open(one, "statbridge-pipeline-catalog")) {
            List<CatalogEntry> restored = CatalogAuthority.reconcile(new CatalogTopic(config.streams(), config.catalogTopic()),
                    config.catalogTopic(), db.dataSource(), "the pipeline");
            if (!restored.isEmpty()) {
                LOG.warn("the catalog topic '{}' lacked {} entr(y/ies) that ml_monitoring.metric_catalog holds; published them "
                        + "again: {}", config.catalogTopic(), restored.size(), restored.stream().map(CatalogEntry::metricName).toList());
            }
        } catch (SQLException | RuntimeException e) {
            if (e instanceof CatalogDivergenceException divergence) {
                throw divergence;
            }
            LOG.warn("cannot compare the catalog topic with ml_monitoring.metric_catalog ({}); starting anyway, the sink "
                    + "compares them when it starts", e.toString());
        }
    }
}
