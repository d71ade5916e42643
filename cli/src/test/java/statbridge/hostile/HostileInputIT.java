package statbridge.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.pipeline.topology.WireCorpus;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.serde.WireFormat;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.topics.TopicReader;
import statbridge.v2.MetricType;

/**
 * {@code statbridge pipeline} and {@code statbridge sink} as separate processes with 128 MB heaps,
 * fed what a hostile deployment sends: a 13-byte message declaring a 1.5 GB string, schema ids the
 * registry gives as JSON Schema, Protobuf, Avro with references or an HTTP 422, and a bad record
 * too large for the dead-letter topic once its headers are added; then every case of the wire
 * corpus. Each bad one is dead-lettered once with its reason, the good ones and the good events
 * behind them arrive, and both processes stay up and healthy.
 */
@ExtendWith(RealInfrastructure.class)
class HostileInputIT {

    private static final String KEY = "IntentClassifier/v4/2025-04-26/ALL";
    private static final int DLQ_MAX_BYTES = 20_000;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void poisonRecordsBecomeDeadLettersWithTheirReasonsAndTheStreamFlowsOnUnderA128MbHeap(KafkaBroker kafka,
            SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "hostile");
                HostileRegistry hostile = new HostileRegistry(registry.url())) {
            fixture.seedCatalog(SinkIT.CATALOG);
            String v1Topic = fixture.prefix + ".model-stats.v1";
            // The corpus holds a record with a 10 MB key and value: the v1 topic takes it, the dead-letter topic below does not.
            kafka.createTopics(4, Map.of("max.message.bytes", Integer.toString(32 << 20)), v1Topic);
            ConfigResource dlq = new ConfigResource(ConfigResource.Type.TOPIC, fixture.topic("topic.dlq"));
            kafka.admin().incrementalAlterConfigs(Map.of(dlq, List.of(new AlterConfigOp(
                    new ConfigEntry("max.message.bytes", Integer.toString(DLQ_MAX_BYTES)), AlterConfigOp.OpType.SET)))).all().get();
            hostile.answer(900_001, 200, "{\"schemaType\":\"JSON\",\"schema\":\"{\\\"type\\\":\\\"object\\\"}\"}");
            hostile.answer(900_002, 200, "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}");
            hostile.answer(900_003, 200, "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":"
                    + "[{\\\"name\\\":\\\"o\\\",\\\"type\\\":\\\"other.Other\\\"}]}\","
                    + "\"references\":[{\"name\":\"other.Other\",\"subject\":\"other-value\",\"version\":1}]}");
            hostile.answer(900_004, 422, "{\"error_code\":42202,\"message\":\"this registry will not say\"}");
            fixture.settings.put("schema.registry.url", hostile.url());
            fixture.settings.put("topic.v1", v1Topic);
            fixture.settings.put("pipeline.application.id", fixture.prefix + "-pipeline");
            fixture.settings.put("pipeline.state.dir", Files.createTempDirectory("hostile-state").toString());
            fixture.settings.put("pipeline.commit.interval.ms", "100");
            Path config = fixture.writeConfig();
            int pipelinePort = freePort();
            int sinkPort = freePort();

            Process pipeline = start("pipeline", config, pipelinePort);
            Process sink = start("sink", config, sinkPort);
            try {
                awaitHealth(pipelinePort, "UP RUNNING", pipeline);
                awaitHealth(sinkPort, "UP RUNNING", sink);

                Map<String, String> expected = new TreeMap<>();
                AvroSerializer<Object> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
                statbridge.v1.ModelStat goodV1 = new statbridge.v1.ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26),
                        "ALL", "accuracy", 0.91, null);
                statbridge.v2.ModelStat goodV2 = new statbridge.v2.ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26),
                        "ALL", MetricType.DRIFT, "psi_country", 0.12);
                int v1Id = fixture.registry.register(v1Topic + "-value", statbridge.v1.ModelStat.getClassSchema());
                int v2Id = fixture.registry.register(fixture.topic("topic.v2") + "-value", statbridge.v2.ModelStat.getClassSchema());
                // Random letters, so that compression cannot bring the dead letter under the topic's limit.
                java.util.Random random = new java.util.Random(5);
                StringBuilder letters = new StringBuilder();
                for (int i = 0; i < 40_000; i++) {
                    letters.append((char) ('a' + random.nextInt(26)));
                }
                String longName = letters.toString();
                int upcastCases = 0;
                try (KafkaProducer<byte[], byte[]> producer = fixture.producer(Map.of("max.request.size", 32 << 20, "buffer.memory", 64L << 20))) {
                    // Every case of the wire corpus, as the topology test runs them, now through the real processes.
                    for (com.fasterxml.jackson.databind.JsonNode c : WireCorpus.load(Path.of("..", "corpus", "wire", "cases.json"))) {
                        org.apache.avro.generic.GenericRecord record = WireCorpus.record(c.get("value"));
                        byte[] value = WireCorpus.value(c.get("value"), record, fixture.registry);
                        RecordMetadata at = producer.send(new ProducerRecord<>(v1Topic, WireCorpus.key(c, record), value)).get();
                        if (c.get("expect").asText().equals("upcast")) {
                            upcastCases++;
                        } else {
                            expect(expected, at, c.get("reason").asText());
                        }
                    }
                    for (String topic : List.of(v1Topic, fixture.topic("topic.v2"))) {
                        int id = topic.equals(v1Topic) ? v1Id : v2Id;
                        expect(expected, send(producer, topic, KEY, thirteenBytes(id)), Reasons.BAD_WIRE_FORMAT);
                        expect(expected, send(producer, topic, KEY, framed(900_001)), Reasons.UNSUPPORTED_SCHEMA);
                        expect(expected, send(producer, topic, KEY, framed(900_002)), Reasons.UNSUPPORTED_SCHEMA);
                        expect(expected, send(producer, topic, KEY, framed(900_003)), Reasons.UNSUPPORTED_SCHEMA);
                        expect(expected, send(producer, topic, KEY, framed(900_004)), Reasons.UNKNOWN_SCHEMA_ID);
                        Object oversized = topic.equals(v1Topic)
                                ? new statbridge.v1.ModelStat(longName, "v4", LocalDate.of(2025, 4, 26), "ALL", "accuracy", 0.5, null)
                                : new statbridge.v2.ModelStat(longName, "v4", LocalDate.of(2025, 4, 26), "ALL", MetricType.ONLINE, "accuracy", 0.5);
                        expect(expected, send(producer, topic, longName + "/v4/2025-04-26/ALL", serializer.serialize(topic, oversized)),
                                Reasons.INVALID_FIELD);
                    }
                    send(producer, v1Topic, KEY, serializer.serialize(v1Topic, goodV1));
                    send(producer, fixture.topic("topic.v2"), KEY, serializer.serialize(fixture.topic("topic.v2"), goodV2));
                }

                List<String> rows = await("the good events behind the poison").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                        .until(() -> fixture.db.rows("SELECT metric_key, metric_value FROM ml_monitoring.model_stats_daily "
                                + "WHERE stat_date = '2025-04-26'"), r -> r.size() >= 2);
                assertThat(rows).as("the good events behind the poison arrive").containsExactly("accuracy|0.91", "psi_country|0.12");

                Map<String, String> reasons = new TreeMap<>();
                int dropped = 0;
                List<ConsumerRecord<byte[], byte[]>> deadLetters = await("a dead letter for each bad record").atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(200)).until(fixture::deadLetters, found -> found.size() >= expected.size());
                for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
                    String at = DeadLetter.header(letter.headers(), DeadLetter.SOURCE_TOPIC) + "/"
                            + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_PARTITION) + "/"
                            + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_OFFSET);
                    assertThat(reasons.put(at, DeadLetter.header(letter.headers(), DeadLetter.REASON)))
                            .as("one dead letter for %s", at).isNull();
                    if (DeadLetter.header(letter.headers(), DeadLetter.PAYLOAD_DROPPED) != null) {
                        assertThat(letter.value()).as("too large for the dead-letter topic: no payload").isNull();
                        assertThat(Integer.parseInt(DeadLetter.header(letter.headers(), DeadLetter.PAYLOAD_DROPPED)))
                                .isGreaterThan(DLQ_MAX_BYTES - 2_000);
                        dropped++;
                    }
                }
                assertThat(reasons).isEqualTo(expected);
                long expectedV2 = upcastCases + 1 + 1 + 6;
                long v2Records = await("every good record on the v2 topic").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                        .until(() -> TopicReader.readAll(Map.of("bootstrap.servers", kafka.bootstrapServers()), fixture.topic("topic.v2"),
                                Duration.ofSeconds(30), r -> { }), n -> n >= expectedV2);
                assertThat(v2Records).as("the corpus's good cases and the good v1 event upcast once each, beside the good v2 "
                        + "event and the six records sent straight to v2").isEqualTo(expectedV2);

                assertThat(dropped).as("the two 40 kB records and the corpus's 10 MB one went without their payload").isEqualTo(3);
                assertThat(pipeline.isAlive()).isTrue();
                assertThat(sink.isAlive()).isTrue();
                assertThat(get(pipelinePort, "/health")).startsWith("UP RUNNING");
                assertThat(get(sinkPort, "/health")).startsWith("UP RUNNING");
                assertThat(log("pipeline") + log("sink")).doesNotContain("OutOfMemoryError").doesNotContain("replacing it");

                // 'series silent' reads this dead-letter topic (through the same hostile registry) to explain a silence:
                // IntentClassifier published on 2025-04-26 only, so as of the 27th it is a silent model, and every poison
                // record above is evidence to read, decode or attribute by its key, under a 128 MB heap
                Process silent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                        "-XX:+UseSerialGC", "-jar", "target/statbridge.jar", "series", "silent", "--config", config.toString(), "--as-of",
                        "2025-04-27", "--window-days", "2", "--min-days", "1", "--after-days", "1", "--json")
                        .redirectError(Path.of("target", "hostile-series-silent.err").toFile()).start();
                String report = new String(silent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(silent.waitFor(2, TimeUnit.MINUTES)).isTrue();
                assertThat(silent.exitValue()).as(Files.readString(Path.of("target", "hostile-series-silent.err"))).isZero();
                com.fasterxml.jackson.databind.JsonNode models = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report).get("models");
                com.fasterxml.jackson.databind.JsonNode intent = null;
                for (com.fasterxml.jackson.databind.JsonNode model : models) {
                    if (model.get("model_name").asText().equals("IntentClassifier") && model.get("model_version").asText().equals("v4")) {
                        intent = model;
                    }
                }
                assertThat(intent).as(report).isNotNull();
                List<String> explained = new ArrayList<>();
                intent.get("dead_letters").forEach(group -> explained.add(group.get("reason").asText()));
                assertThat(explained).as("the poison records' reasons, attributed to the model by their keys")
                        .contains(Reasons.BAD_WIRE_FORMAT, Reasons.UNSUPPORTED_SCHEMA, Reasons.UNKNOWN_SCHEMA_ID);

                // the console reads the same dead-letter topic in the background, under a 128 MB heap, and counts them by reason
                Process console = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                        "-XX:+UseSerialGC", "-jar", "target/statbridge.jar", "console", "--config", config.toString(), "--console-port", "0")
                        .redirectError(Path.of("target", "hostile-console.err").toFile()).start();
                try {
                    String line = new java.io.BufferedReader(new java.io.InputStreamReader(console.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    assertThat(line).as(Files.readString(Path.of("target", "hostile-console.err"))).startsWith("console=http://127.0.0.1:");
                    java.net.URI page = java.net.URI.create(line.substring("console=".length()));
                    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                    String[] body = {""};
                    org.awaitility.Awaitility.await("the console's dead letters by reason").atMost(Duration.ofMinutes(2))
                            .pollInterval(Duration.ofMillis(500)).until(() -> {
                                body[0] = http.send(java.net.http.HttpRequest.newBuilder(page).build(),
                                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                                return body[0].contains("data-reason=\"" + Reasons.BAD_WIRE_FORMAT + "\"");
                            });
                    assertThat(body[0]).contains("data-reason=\"" + Reasons.UNSUPPORTED_SCHEMA + "\"",
                            "data-reason=\"" + Reasons.UNKNOWN_SCHEMA_ID + "\"", "<p>" + String.format(java.util.Locale.ROOT, "%,d", reasons.size())
                                    + " in all</p>");
                    assertThat(console.isAlive()).isTrue();
                    assertThat(Files.readString(Path.of("target", "hostile-console.err"))).doesNotContain("OutOfMemoryError");
                } finally {
                    console.destroy();
                    console.waitFor(30, TimeUnit.SECONDS);
                }
            } finally {
                pipeline.destroy();
                sink.destroy();
                pipeline.waitFor(60, TimeUnit.SECONDS);
                sink.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    /** The Confluent header with a real schema id, then a string length of 1.5 billion, then three bytes. */
    private static byte[] thirteenBytes(int schemaId) {
        byte[] poison = {0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xbc, (byte) 0xc1, (byte) 0x96, 0x0b, 'a', 'b', 'c'};
        WireFormat.writeHeader(poison, schemaId);
        return poison;
    }

    private static byte[] framed(int schemaId) {
        byte[] message = {0, 0, 0, 0, 0, 2, 'x'};
        WireFormat.writeHeader(message, schemaId);
        return message;
    }

    private static RecordMetadata send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        return producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static void expect(Map<String, String> expected, RecordMetadata at, String reason) {
        expected.put(at.topic() + "/" + at.partition() + "/" + at.offset(), reason);
    }

    private static Process start(String component, Path config, int port) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-XX:+UseSerialGC", "-jar", "target/statbridge.jar", component, "--config", config.toString(), "--metrics-port",
                Integer.toString(port)).redirectErrorStream(true).redirectOutput(Path.of("target", "hostile-" + component + ".log").toFile())
                .start();
    }

    private static String log(String component) throws IOException {
        return Files.readString(Path.of("target", "hostile-" + component + ".log"));
    }

    private void awaitHealth(int port, String expected, Process process) throws Exception {
        await("health on port " + port + " " + expected).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                .failFast("the process exited", () -> !process.isAlive())
                .ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> get(port, "/health"), health -> health.startsWith(expected));
    }

    private String get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
