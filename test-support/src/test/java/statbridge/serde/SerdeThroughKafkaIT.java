package statbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.RegistryClientConfig;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroWireFormatException.Problem;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;

/** Our serde configured by class name, as Kafka clients do, through a real broker and our registry over HTTP. */
@ExtendWith(RealInfrastructure.class)
class SerdeThroughKafkaIT {

    @Test
    void recordsWrittenByOurSerializerComeBackEqualThroughARealBroker(KafkaBroker kafka, SchemaRegistryServer registry) {
        String topic = "serde-it.v1";
        kafka.createTopics(3, topic);
        List<ModelStat> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sent.add(ModelStat.newBuilder().setModelName("Model" + (i % 7)).setModelVersion("v" + (i % 3))
                    .setStatDate(LocalDate.of(2025, 1, 1).plusDays(i % 60)).setSliceKey("slice=" + i)
                    .setMetricName(i % 2 == 0 ? "accuracy" : "churn_rate").setMetricValue(i / 1000.0)
                    .setBusinessMetricValue(i % 5 == 0 ? null : i * 1.5).build());
        }
        Map<String, Object> producerConfig = kafka.producerConfig();
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        producerConfig.put(RegistryClientConfig.URL, registry.url());
        try (KafkaProducer<String, ModelStat> producer = new KafkaProducer<>(producerConfig)) {
            for (ModelStat stat : sent) {
                producer.send(new ProducerRecord<>(topic, stat.getSliceKey(), stat));
            }
            producer.flush();
        }

        Map<String, Object> consumerConfig = kafka.consumerConfig("serde-it");
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName());
        consumerConfig.put(AvroSerdeConfig.SPECIFIC_AVRO_READER, "true");
        consumerConfig.put(RegistryClientConfig.URL, registry.url());
        List<ModelStat> received = new ArrayList<>();
        try (KafkaConsumer<String, ModelStat> consumer = new KafkaConsumer<>(consumerConfig)) {
            consumer.subscribe(List.of(topic));
            await("every record sent comes back").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(r.value()));
                return received.size() >= sent.size();
            });
        }

        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void bytesThatAreNotOurFormatAreRefusedWithAReasonAfterTravellingThroughKafka(KafkaBroker kafka,
            SchemaRegistryServer registry) {
        String topic = "serde-it-garbage";
        kafka.createTopics(1, topic);
        Map<String, Object> producerConfig = kafka.producerConfig();
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            producer.send(new ProducerRecord<>(topic, "{\"metric_name\":\"accuracy\"}".getBytes()));
            producer.send(new ProducerRecord<>(topic, new byte[] {0, 0, 0, 0x7f, 0x7f, 1}));
            producer.flush();
        }
        Map<String, Object> consumerConfig = kafka.consumerConfig("serde-it-garbage");
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> raw = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
            consumer.subscribe(List.of(topic));
            await("both records come back").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ZERO).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(raw::add);
                return raw.size() >= 2;
            });
        }
        Map<String, Object> deserializerConfig = new HashMap<>(Map.of(RegistryClientConfig.URL, registry.url()));
        AvroDeserializer<Object> deserializer = new AvroDeserializer<>();
        deserializer.configure(deserializerConfig, false);

        assertThat(raw).hasSize(2);
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(0).value()))
                .isInstanceOfSatisfying(AvroWireFormatException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.BAD_MAGIC_BYTE));
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(1).value()))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.UNKNOWN_SCHEMA_ID);
                    assertThat(e.schemaId()).isEqualTo(0x7f7f);
                });
    }
}
