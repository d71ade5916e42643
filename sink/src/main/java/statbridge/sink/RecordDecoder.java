package statbridge.sink;

import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.contract.Lineage;
import statbridge.contract.StatRecordReader;
import statbridge.contract.StatValidator;
import statbridge.deadletter.Reasons;
import statbridge.registry.RegistryException;
import statbridge.serde.AvroDeserializer;
import statbridge.sink.writer.Fact;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * Turns one consumed record into a {@link Fact} or the reason it is dead-lettered: read by the
 * contract's {@link StatRecordReader} (tombstone, value under the writer's schema, UTF-8 key, in
 * the order the pipeline reads too), then checked by the contract's {@link StatValidator}, the
 * same rules the pipeline and the publishers apply. A
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
    private final StatRecordReader<ModelStat> statReader;
    private final StatRecordReader<BusinessStat> businessReader;
    private final StatValidator validator;

    /**
     * @param statTopic the topic of {@link ModelStat} v2 records; every other topic carries {@link BusinessStat}
     */
    RecordDecoder(String statTopic, AvroDeserializer<ModelStat> statReader, AvroDeserializer<BusinessStat> businessReader,
            StatValidator validator) {
        this.statTopic = statTopic;
        this.statReader = new StatRecordReader<>(statReader);
        this.businessReader = new StatRecordReader<>(businessReader);
        this.validator = validator;
    }

    /**
     * @throws RegistryException when the registry fails (not for an id it does not know)
     * @throws KafkaException when Kafka fails
     */
    Decoded decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.topic().equals(statTopic)) {
                return decodeAs(record, statReader, validator::validate, v -> new Fact(Fact.Kind.STAT, v.getModelName(),
                        v.getModelVersion(), v.getStatDate(), v.getSliceKey(), v.getMetricType(), v.getMetricKey(), v.getMetricValue(),
                        record.timestamp(), record.topic(), record.partition(), record.offset(), path(record)));
            }
            return decodeAs(record, businessReader, validator::validate, v -> new Fact(Fact.Kind.BUSINESS, v.getModelName(),
                    v.getModelVersion(), v.getStatDate(), v.getSliceKey(), v.getMetricType(), v.getMetricKey(),
                    v.getBusinessMetricValue(), record.timestamp(), record.topic(), record.partition(), record.offset(), path(record)));
        } catch (RegistryException | KafkaException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).addKeyValue("topic", record.topic()).addKeyValue("partition", record.partition())
                    .addKeyValue("offset", record.offset())
                    .log("dead-lettering {}-{}@{}: decoding it failed unexpectedly", record.topic(), record.partition(), record.offset());
            return refuse(record, Reasons.PROCESSING_ERROR, e.toString());
        }
    }

    private static String path(ConsumerRecord<byte[], byte[]> record) {
        return Lineage.upcast(record.headers()) ? Fact.V1 : Fact.V2;
    }

    private static <T extends SpecificRecord> Decoded decodeAs(ConsumerRecord<byte[], byte[]> record, StatRecordReader<T> reader,
            BiFunction<String, T, Optional<StatValidator.Violation>> validate, Function<T, Fact> toFact) {
        StatRecordReader.Result<T> result = reader.read(record.topic(), record.key(), record.value());
        if (result instanceof StatRecordReader.Refused<T> refused) {
            return refuse(record, refused.reason(), refused.message());
        }
        StatRecordReader.Read<T> read = (StatRecordReader.Read<T>) result;
        Optional<StatValidator.Violation> violation = validate.apply(read.key(), read.value());
        if (violation.isPresent()) {
            return refuse(record, violation.get().reason(), violation.get().message());
        }
        return new Accepted(toFact.apply(read.value()));
    }

    private static Refused refuse(ConsumerRecord<byte[], byte[]> record, String reason, String message) {
        return new Refused(new Rejected(record, reason, message));
    }
}
