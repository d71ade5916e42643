package statbridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;
import statbridge.cli.ConfigReference;
import statbridge.cli.Statbridge;
import statbridge.config.Configuration;
import statbridge.config.Setting;
import statbridge.operations.OperationsServer;
import statbridge.pipeline.PipelineMetrics;
import statbridge.sink.SinkMetrics;
import statbridge.sink.writer.BatchResult;
import statbridge.tools.series.SilentSeries;
import statbridge.tools.series.SilentSeriesMetrics;

/**
 * The files in {@code deploy/} (container file, compose file, Kubernetes manifests, Grafana
 * dashboard) cannot drift from the application: every setting they give is one statbridge reads,
 * every command they run parses, and every metric the dashboard queries is one statbridge exports.
 */
class DeploymentFilesTest {

    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final Pattern ENVIRONMENT_VARIABLE = Pattern.compile("\\bSTATBRIDGE_[A-Z0-9_]+");
    /** Environment variables the launcher and the logging read, not configuration keys. */
    private static final Set<String> NOT_SETTINGS = Set.of("STATBRIDGE_HOME", "STATBRIDGE_DEBUG", "STATBRIDGE_LOG_LEVEL");

    @Test
    void everyEnvironmentVariableTheDeploymentFilesSetIsASettingStatbridgeReads() throws IOException {
        Map<Path, Set<String>> found = new java.util.TreeMap<>();
        for (Path file : deploymentFiles()) {
            Matcher matcher = ENVIRONMENT_VARIABLE.matcher(Files.readString(file, StandardCharsets.UTF_8));
            while (matcher.find()) {
                found.computeIfAbsent(file, f -> new TreeSet<>()).add(matcher.group());
            }
        }
        assertThat(found.keySet()).as("files that configure statbridge").contains(DEPLOY.resolve("compose.yaml"),
                DEPLOY.resolve("kubernetes/configmap.yaml"), DEPLOY.resolve("Containerfile"));

        List<String> unread = new ArrayList<>();
        found.forEach((file, names) -> names.stream().filter(name -> !isRead(name))
                .forEach(name -> unread.add(DEPLOY.relativize(file) + ": " + name)));
        assertThat(unread).as("environment variables statbridge does not read").isEmpty();
    }

    @Test
    void theDriftCheckItselfRefusesWhatStatbridgeDoesNotRead() {
        assertThat(isRead("STATBRIDGE_SINK_GROUP_ID")).isTrue();
        assertThat(isRead("STATBRIDGE_KAFKA_SASL_JAAS_CONFIG")).isTrue();
        assertThat(isRead("STATBRIDGE_PIPELINE_STREAMS_NUM_STANDBY_REPLICAS")).isTrue();
        assertThat(isRead("STATBRIDGE_SINK_GROUPID")).isFalse();
        assertThat(isRead("STATBRIDGE_KAFKA_SASL_JAAS")).isFalse();
        assertThat(isRead("STATBRIDGE_PIPELINE_STREAMS_NUM_STANDBYS")).isFalse();
        assertThat(isRead("STATBRIDGE_SINK_CONSUMER_MAX_POLL_RECORD")).isFalse();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyStatbridgeCommandTheDeploymentFilesRunParses() throws IOException {
        List<List<String>> commands = new ArrayList<>();
        Map<String, Object> compose = new Yaml().load(Files.readString(DEPLOY.resolve("compose.yaml")));
        ((Map<String, Map<String, Object>>) compose.get("services")).values().forEach(service -> {
            if (String.valueOf(service.get("image")).contains("statbridge")) {
                commands.add((List<String>) service.get("command"));
            }
        });
        for (Path manifest : kubernetesManifests()) {
            for (Object document : new Yaml().loadAll(Files.readString(manifest))) {
                collectArgs(document, commands);
            }
        }
        assertThat(commands).as("statbridge commands in compose.yaml and kubernetes/")
                .contains(List.of("pipeline", "--metrics-port", "9401"), List.of("sink", "--metrics-port", "9402"),
                        List.of("db", "migrate"));
        for (List<String> command : commands) {
            CommandLine.ParseResult parsed = Statbridge.commandLine().parseArgs(command.toArray(String[]::new));
            assertThat(parsed.hasSubcommand() || parsed.isUsageHelpRequested()).as("%s names a command", command).isTrue();
        }
        assertThat(Files.readString(DEPLOY.resolve("Containerfile")))
                .contains("COPY deploy/catalog/metric-catalog.csv /opt/statbridge/catalog/metric-catalog.csv");
    }

    /**
     * The containers test runs compose.yaml's pipelines and sinks (ProductionTopologyInContainers); the
     * Kubernetes ConfigMap must give them the same settings, but for those that name or size a site:
     * addresses, credentials, security, the topics' partitions and replicas, the grace period's end.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theKubernetesSettingsAreTheOnesTheContainersTestRunsFromComposeButForTheSite() throws IOException {
        Set<String> site = Set.of("STATBRIDGE_KAFKA_BOOTSTRAP_SERVERS", "STATBRIDGE_KAFKA_SECURITY_PROTOCOL",
                "STATBRIDGE_KAFKA_SASL_MECHANISM", "STATBRIDGE_SCHEMA_REGISTRY_URL", "STATBRIDGE_JDBC_URL", "STATBRIDGE_JDBC_USER",
                "STATBRIDGE_PIPELINE_TOPIC_PARTITIONS", "STATBRIDGE_PIPELINE_TOPIC_REPLICATION_FACTOR", "STATBRIDGE_SINK_GRACE_PERIOD_END");
        Map<String, Object> compose = new Yaml().load(Files.readString(DEPLOY.resolve("compose.yaml")));
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        Map<String, String> composed = new java.util.TreeMap<>();
        for (String service : List.of("pipeline", "sink")) {
            ((Map<String, Object>) services.get(service).get("environment")).forEach((key, value) -> composed.put(key, String.valueOf(value)));
        }
        // The image sets the state directory; compose inherits it.
        composed.put("STATBRIDGE_PIPELINE_STATE_DIR", "/var/lib/statbridge/streams");
        assertThat(Files.readString(DEPLOY.resolve("Containerfile"))).contains("ENV STATBRIDGE_PIPELINE_STATE_DIR=/var/lib/statbridge/streams");
        Map<String, String> configMap = new java.util.TreeMap<>();
        for (Object document : new Yaml().loadAll(Files.readString(DEPLOY.resolve("kubernetes/configmap.yaml")))) {
            Map<String, Object> map = (Map<String, Object>) document;
            if (map != null && "ConfigMap".equals(map.get("kind"))) {
                ((Map<String, Object>) map.get("data")).forEach((key, value) -> configMap.put(key, String.valueOf(value)));
            }
        }
        assertThat(configMap).as("the ConfigMap's settings").hasSizeGreaterThan(10);
        Map<String, String> differing = new java.util.TreeMap<>();
        configMap.forEach((key, value) -> {
            if (!site.contains(key) && !value.equals(composed.get(key))) {
                differing.put(key, value + " in the ConfigMap, " + composed.get(key) + " in compose.yaml");
            }
        });
        assertThat(differing).as("settings the containers test does not run with").isEmpty();
    }

    @Test
    void everyMetricTheDashboardQueriesIsOneStatbridgeExports() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("grafana/statbridge-dashboard.json").toFile());
        Set<String> queried = new TreeSet<>();
        for (JsonNode expression : dashboard.findValues("expr")) {
            Matcher matcher = Pattern.compile("\\b(?:statbridge|kafka|jvm|process|system)_[a-z0-9_]+").matcher(expression.asText());
            while (matcher.find()) {
                queried.add(matcher.group());
            }
        }
        assertThat(queried).as("metrics the dashboard queries").hasSizeGreaterThan(8);

        assertThat(exported()).as("metric names in a scrape of statbridge's registry").containsAll(queried);
    }

    private static Set<String> exported() {
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        PipelineMetrics pipeline = new PipelineMetrics(registry);
        pipeline.upcast();
        pipeline.inferred();
        pipeline.deadLettered("bad-wire-format");
        SinkMetrics sink = new SinkMetrics(registry);
        sink.batch(new BatchResult(1, 1, 0, 1, true, 1), Duration.ofMillis(3));
        sink.deadLettered("unknown-catalog-entry");
        sink.retried();
        new SilentSeriesMetrics(registry).record(new SilentSeries.Report(java.time.LocalDate.now(), SilentSeries.Rule.DEFAULT,
                List.of(), List.of(), List.of()));
        Map<String, Object> consumerConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Set<String> names = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig);
                KafkaClientMetrics clientMetrics = new KafkaClientMetrics(consumer)) {
            clientMetrics.bindTo(registry);
            for (String line : registry.scrape().split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    names.add(line.split("[{ ]", 2)[0]);
                }
            }
        }
        return names;
    }

    /** Adds the args of every container (or init container) that runs the statbridge image. */
    @SuppressWarnings("unchecked")
    private static void collectArgs(Object node, List<List<String>> commands) {
        if (node instanceof Map<?, ?> map) {
            if ("statbridge".equals(map.get("image"))) {
                commands.add((List<String>) map.get("args"));
            }
            map.values().forEach(value -> collectArgs(value, commands));
        } else if (node instanceof List<?> list) {
            list.forEach(value -> collectArgs(value, commands));
        }
    }

    /** Whether statbridge reads the setting this environment variable gives. */
    static boolean isRead(String environmentVariable) {
        if (NOT_SETTINGS.contains(environmentVariable)) {
            return true;
        }
        Optional<String> key = Configuration.keyOfEnvironmentVariable(environmentVariable);
        if (key.isEmpty()) {
            return false;
        }
        String k = key.get();
        if (ConfigReference.settings().stream().map(Setting::key).anyMatch(k::equals)) {
            return true;
        }
        if (k.startsWith("pipeline.streams.")) {
            return StreamsConfig.configDef().names().contains(k.substring("pipeline.streams.".length()));
        }
        if (k.startsWith("sink.consumer.")) {
            return ConsumerConfig.configNames().contains(k.substring("sink.consumer.".length()));
        }
        if (k.startsWith("kafka.")) {
            String client = k.substring("kafka.".length());
            return ConsumerConfig.configNames().contains(client) || ProducerConfig.configNames().contains(client)
                    || AdminClientConfig.configNames().contains(client);
        }
        return false;
    }

    private static List<Path> deploymentFiles() throws IOException {
        List<Path> files = new ArrayList<>(List.of(DEPLOY.resolve("Containerfile"), DEPLOY.resolve("compose.yaml")));
        files.addAll(kubernetesManifests());
        return files;
    }

    private static List<Path> kubernetesManifests() throws IOException {
        try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }
}
