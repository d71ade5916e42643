package statbridge.sink;

import java.nio.charset.CharacterCodingException;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.contract.RecordKeys;
import statbridge.contract.StatValidator;
import statbridge.deadletter.Reasons;
import statbridge.registry.RegistryException;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroWireFormatException;
import statbridge.sink.writer.Fact;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * Turns one consumed record into a {@link Fact} or the reason it is dead-lettered: the key is
 * decoded (strict UTF-8), the value read under the writer's schema, then checked by the
 * contract's {@link StatValidator}, the same rules the pipeline and the publishers apply. A
 * failure of the registry or of Kafka is not the record's fault: it is thrown, and the batch is
 * retried. Not thread-safe (the key decoder keeps state): one per sink loop.
 */
final class RecordDecoder {

    /** What a record became. */
    sealed interface Decoded permits Accepted, Refused {
    }

    /** A record to write. */
    record Accepted(Fact fact) implements Decoded {
    }

    /** A record to dead-letter. */
    record Refused(Rejected rejected) implements Decoded {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RecordDecoder.class);

    private final String statTopic;
    private final AvroDeserializer<ModelStat> statReader;
    private final AvroDeserializer<BusinessStat> businessReader;
    private final StatValidator validator;
    private final RecordKeys keys = new RecordKeys();

    /**
     * @param statTopic the topic of {@link ModelStat} v2 records; every other topic carries {@link BusinessStat}
     */
    RecordDecoder(String statTopic, AvroDeserializer<ModelStat> statReader, AvroDeserializer<BusinessStat> businessReader,
            StatValidator validator) {
        this.statTopic = statTopic;
        this.statReader = statReader;
        this.businessReader = businessReader;
        this.validator = validator;
    }

    /**
     * @throws RegistryException when the registry fails (not for an id it does not know)
     * @throws KafkaException when Kafka fails
     */
    Decoded decode(ConsumerRecord<byte[], byte[]> record) {
        String key;
        try {
            key = keys.decode(record.key());
        } catch (CharacterCodingException e) {
            return refuse(record, Reasons.KEY_MISMATCH, "the record key is not valid UTF-8");
        }
        if (record.value() == null) {
            return refuse(record, Reasons.INVALID_FIELD, "the record has no value (a tombstone)");
        }
        try {
            Optional<StatValidator.Violation> violation;
            Fact fact;
            if (record.topic().equals(statTopic)) {
                ModelStat stat = statReader.deserialize(record.topic(), record.value());
                violation = validator.validate(key, stat);
                fact = new Fact(Fact.Kind.STAT, stat.getModelName(), stat.getModelVersion(), stat.getStatDate(),
                        stat.getSliceKey(), stat.getMetricType(), stat.getMetricKey(), stat.getMetricValue(),
                        record.timestamp(), record.topic(), record.partition(), record.offset());
            } else {
                BusinessStat stat = businessReader.deserialize(record.topic(), record.value());
                violation = validator.validate(key, stat);
                fact = new Fact(Fact.Kind.BUSINESS, stat.getModelName(), stat.getModelVersion(), stat.getStatDate(),
                        stat.getSliceKey(), stat.getMetricType(), stat.getMetricKey(), stat.getBusinessMetricValue(),
                        record.timestamp(), record.topic(), record.partition(), record.offset());
            }
            if (violation.isPresent()) {
                return refuse(record, violation.get().reason(), violation.get().message());
            }
            return new Accepted(fact);
        } catch (AvroWireFormatException e) {
            return refuse(record, e.problem().reason(), e.getMessage());
        } catch (RegistryException | KafkaException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("dead-lettering {}-{}@{}: decoding it failed unexpectedly", record.topic(), record.partition(), record.offset(), e);
            return refuse(record, Reasons.PROCESSING_ERROR, e.toString());
        }
    }

    private static Refused refuse(ConsumerRecord<byte[], byte[]> record, String reason, String message) {
        return new Refused(new Rejected(record, reason, message));
    }
}
