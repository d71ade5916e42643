package statbridge.embedded;

import io.micrometer.core.instrument.MeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogFile;
import statbridge.catalog.CatalogTopic;
import statbridge.cli.LocalEndpoints;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.contract.ContractSchema;
import statbridge.contract.SchemaHistory;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.registry.RegistrySettings;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.server.RegistryJournal;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.runtime.Component;
import statbridge.serde.SubjectNames;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkConfig;
import statbridge.topics.TopicCreator;

/**
 * The whole of statbridge on one machine, no Docker: a real Kafka broker (KRaft, in this process),
 * the schema registry, a real PostgreSQL (embedded binaries, a child process), the topics, the
 * contract schemas, the seed catalog, and — unless infrastructure only — the pipeline and the
 * sink. Data lives in one directory, so a restart keeps it.
 */
public final class EmbeddedStack implements AutoCloseable {

    /** Where the stack listens. */
    public record Endpoints(String kafka, String registry, String jdbc) {
        public Map<String, String> asSettings() {
            return Map.of(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), kafka, CommonSettings.SCHEMA_REGISTRY_URL.key(), registry,
                    CommonSettings.JDBC_URL.key(), jdbc);
        }
    }

    private final List<AutoCloseable> parts = new ArrayList<>();
    private final Map<String, Component> components = new java.util.LinkedHashMap<>();
    private Endpoints endpoints;
    private Configuration configuration;

    private EmbeddedPostgres postgres;
    private Path dataDir;
    private SchemaRegistryServer registryServer;

    private EmbeddedStack() {
    }

    private static EmbeddedPostgres.Builder postgresBuilder(Path dataDir) {
        return EmbeddedPostgres.builder()
                .setDataDirectory(dataDir.resolve("postgres"))
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "100")
                // so that 'statbridge legacy readers' can see who reads the legacy shape
                .setServerConfig("shared_preload_libraries", "pg_stat_statements");
    }

    /**
     * Stops PostgreSQL and starts it again on the same port with the same data (what a database
     * restart looks like to the components: every connection drops, then it answers again).
     */
    public synchronized void restartPostgres() throws IOException {
        int port = postgres.getPort();
        int index = parts.indexOf(postgres);
        postgres.close();
        postgres = postgresBuilder(dataDir).setPort(port).start();
        parts.set(index, postgres);
    }

    /**
     * Starts everything and returns once it all accepts work.
     *
     * @param ports the wished ports of Kafka, the registry and PostgreSQL; each busy one becomes the next free one
     */
    public static EmbeddedStack start(Path dataDir, int kafkaPort, int registryPort, int postgresPort, boolean infraOnly,
            Configuration base, MeterRegistry metrics, PrintWriter log) throws Exception {
        EmbeddedPlatform.requireSupported();
        EmbeddedStack stack = new EmbeddedStack();
        try {
            stack.startAll(dataDir.toAbsolutePath(), kafkaPort, registryPort, postgresPort, infraOnly, base, metrics, log);
            return stack;
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Path dataDir, int kafkaPort, int registryPort, int postgresPort, boolean infraOnly, Configuration base,
            MeterRegistry metrics, PrintWriter log) throws Exception {
        log.println("starting Kafka (KRaft) ...");
        log.flush();
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), freeFrom(kafkaPort), freeFrom(0));
        parts.add(kafka);
        log.println("starting the schema registry ...");
        log.flush();
        SchemaRegistryServer registry = SchemaRegistryServer.start("127.0.0.1", freeFrom(registryPort),
                RegistryJournal.open(dataDir.resolve("registry").resolve("schemas.jsonl")), null);
        parts.add(registry);
        registryServer = registry;
        log.println("starting PostgreSQL ...");
        log.flush();
        EmbeddedPostgres postgres = postgresBuilder(dataDir).setPort(freeFrom(postgresPort)).start();
        this.postgres = postgres;
        this.dataDir = dataDir;
        parts.add(postgres);
        endpoints = new Endpoints(kafka.bootstrapServers(), registry.url(),
                "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres?user=postgres");
        Map<String, String> settings = new HashMap<>(endpoints.asSettings());
        settings.putIfAbsent("pipeline.state.dir", dataDir.resolve("streams").toString());
        configuration = base.with(settings);

        TopicCreator.ensure(CommonSettings.kafkaClientConfig(configuration), List.of(
                new TopicCreator.Spec(configuration.get(CommonSettings.TOPIC_V1), Map.of()),
                new TopicCreator.Spec(configuration.get(CommonSettings.TOPIC_V2), Map.of()),
                new TopicCreator.Spec(configuration.get(CommonSettings.TOPIC_BUSINESS_V2), Map.of()),
                new TopicCreator.Spec(configuration.get(CommonSettings.TOPIC_DLQ), TopicCreator.KEEP_FOREVER),
                new TopicCreator.Spec(configuration.get(CommonSettings.TOPIC_CATALOG), TopicCreator.COMPACTED)), 4, (short) 1);
        registerSchemas(configuration);
        seedCatalog(configuration, log);
        if (!infraOnly) {
            log.println("starting the pipeline and the sink ...");
            log.flush();
            SinkApp sink = new SinkApp(SinkConfig.from(configuration), metrics);
            parts.add(sink);
            components.put("sink", sink);
            sink.start();
            parts.add(statbridge.tools.SinkWatches.start(configuration, metrics));
            PipelineApp pipeline = new PipelineApp(PipelineConfig.from(configuration), metrics);
            parts.add(pipeline);
            components.put("pipeline", pipeline);
            pipeline.start();
            if (!pipeline.awaitRunning(Duration.ofMinutes(2)) || !sink.awaitAssignment(Duration.ofMinutes(2))) {
                throw new IllegalStateException("the pipeline or the sink did not start: pipeline " + pipeline.health()
                        + ", sink " + sink.health());
            }
        } else {
            try (var database = statbridge.sink.db.Database.open(statbridge.sink.db.DatabaseConfig.from(configuration), "statbridge-up")) {
                database.migrate();
            }
        }
        LocalEndpoints.write(endpoints.asSettings());
    }

    private static void registerSchemas(Configuration configuration) {
        SchemaHistory history = SchemaHistory.load();
        try (SchemaRegistryClient client = SchemaRegistryClients.create(RegistrySettings.clientConfig(configuration))) {
            for (ContractSchema record : ContractSchema.values()) {
                String subject = SubjectNames.valueSubject(record.topic(configuration));
                if (client.getCompatibility(subject).isEmpty()) {
                    client.setCompatibility(subject, history.rule(record));
                }
                client.register(subject, record.schema());
            }
        }
    }

    private static void seedCatalog(Configuration configuration, PrintWriter log) throws IOException {
        CatalogTopic topic = new CatalogTopic(CommonSettings.kafkaClientConfig(configuration),
                configuration.get(CommonSettings.TOPIC_CATALOG));
        if (topic.read().size() > 0) {
            return;
        }
        List<CatalogEntry> seed = seedCatalog();
        topic.add(seed);
        log.println("seeded the metric catalog with " + seed.size() + " entries");
    }

    /** The seed catalog shipped in the jar (deploy/catalog/metric-catalog.csv). */
    public static List<CatalogEntry> seedCatalog() throws IOException {
        try (Reader reader = new InputStreamReader(EmbeddedStack.class.getResourceAsStream("/statbridge/catalog/metric-catalog.csv"),
                StandardCharsets.UTF_8)) {
            return CatalogFile.read(reader, "metric-catalog.csv", CatalogEntry.Origin.SEED);
        }
    }

    /**
     * Ready when every part is: PostgreSQL accepts a connection, and the pipeline and the sink (when
     * this stack runs them) are ready; otherwise down, naming each part that is not.
     */
    public Component.Health health() {
        List<String> down = new ArrayList<>();
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(endpoints.jdbc())) {
            if (!connection.isValid(1)) {
                down.add("postgres: not answering");
            }
        } catch (java.sql.SQLException e) {
            down.add("postgres: " + e.getMessage());
        }
        components.forEach((name, component) -> {
            Component.Health health = component.health();
            if (!health.up()) {
                down.add(name + ": " + health.detail());
            }
        });
        return down.isEmpty() ? Component.Health.up("READY") : Component.Health.down(String.join("; ", down));
    }

    /** Alive unless a part stopped for good. */
    public Component.Health liveness() {
        List<String> failed = new ArrayList<>();
        components.forEach((name, component) -> {
            if (component.failed()) {
                failed.add(name + ": " + component.health().detail());
            }
        });
        return failed.isEmpty() ? Component.Health.up("ALIVE") : Component.Health.down("FAILED " + String.join("; ", failed));
    }

    /** From now on the embedded registry serves the schemas it holds and registers no more. */
    public void registryReadOnly() {
        registryServer.readOnly(true);
    }

    public Endpoints endpoints() {
        return endpoints;
    }

    /** The configuration of the running stack: the base plus its endpoints. */
    public Configuration configuration() {
        return configuration;
    }

    @Override
    public void close() {
        LocalEndpoints.remove();
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
        parts.clear();
    }

    /** {@code wished} when it is free, else the next free port above it (0 asks for any free port). */
    static int freeFrom(int wished) throws IOException {
        if (wished == 0) {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }
        for (int port = wished; port < wished + 100; port++) {
            try (ServerSocket socket = new ServerSocket(port)) {
                socket.setReuseAddress(true);
                return port;
            } catch (IOException busy) {
                // try the next one
            }
        }
        throw new IOException("no free port in " + wished + ".." + (wished + 99));
    }
}
