package statbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.DockerClientFactory;

/**
 * The fixture's container back-end (the {@code containers} profile runs this with
 * {@code statbridge.infrastructure=containers} and podman's Docker-compatible service): Kafka and
 * PostgreSQL are containers Testcontainers started from the locally built image, not servers of this
 * JVM, and they behave as the in-process ones do, a restart of PostgreSQL included.
 */
@ExtendWith(RealInfrastructure.class)
class ContainerBackendInContainers {

    @Test
    void theServersRunInContainersOfTheLocalImage(KafkaBroker kafka, PostgresServer postgres) throws Exception {
        assertThat(Backend.selected()).isEqualTo(Backend.CONTAINERS);
        List<Container> running = DockerClientFactory.instance().client().listContainersCmd().exec();
        assertThat(running).as("containers of %s", ServerContainer.IMAGE)
                .anyMatch(c -> c.getImage().contains("statbridge-runtime-base") && c.getCommand().contains(KafkaBrokerMain.class.getName()))
                .anyMatch(c -> c.getImage().contains("statbridge-runtime-base") && c.getCommand().contains(PostgresMain.class.getName()));

        String url = postgres.createDatabase("container_backend");
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            String dataDirectory = single(statement, "SHOW data_directory");
            assertThat(dataDirectory).as("PostgreSQL's data directory, in the container's file system").startsWith("/var/lib/statbridge-test/");
            assertThat(Files.exists(Path.of(dataDirectory))).as("the same path on this host").isFalse();
            statement.execute("CREATE TABLE kept (v text)");
            statement.execute("INSERT INTO kept VALUES ('before the restart')");
        }
        postgres.restart();
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            assertThat(single(statement, "SELECT string_agg(v, ',') FROM kept")).isEqualTo("before the restart");
        }

        kafka.createTopics(2, "container-backend");
        Map<String, Object> producerConfig = kafka.producerConfig();
        try (var producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("container-backend", "k", "through the container's broker")).get();
        }
        try (var consumer = new KafkaConsumer<>(kafka.consumerConfig("container-backend"), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of("container-backend"));
            List<ConsumerRecord<String, String>> polled = new java.util.ArrayList<>();
            await("the record comes back through the container's broker").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ZERO)
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(500)).forEach(polled::add);
                        return !polled.isEmpty();
                    });
            ConsumerRecord<String, String> received = polled.get(polled.size() - 1);
            assertThat(received.value()).isEqualTo("through the container's broker");
        }
    }

    private static String single(Statement statement, String sql) throws Exception {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
