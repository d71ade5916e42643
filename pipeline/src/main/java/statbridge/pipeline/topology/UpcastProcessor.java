package statbridge.pipeline.topology;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.contract.Lineage;
import statbridge.contract.StatRecordReader;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.pipeline.PipelineMetrics;
import statbridge.pipeline.upcast.UpcastResult;
import statbridge.pipeline.upcast.Upcaster;
import statbridge.pipeline.upcast.WireUpcaster;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerdeConfig;
import statbridge.serde.AvroSerializer;
import statbridge.v1.ModelStat;
import statbridge.v2.BusinessStat;

/**
 * Upcasts each v1 record and forwards the v2 and business messages to their sinks, or the
 * untouched original bytes to the dead-letter sink with the reason in headers. A record
 * that cannot be upcast never stops the stream. A schema registry that does not answer is not
 * the record's fault: that exception propagates, the transaction aborts and the record is
 * retried.
 *
 * <p>A clean record takes the {@link WireUpcaster} (bytes in, bytes out); anything it declines is
 * decoded, validated and upcast by the {@link Upcaster}, which gives the exact dead-letter reason.
 */
final class UpcastProcessor implements Processor<byte[], byte[], Object, Object> {

    private final StatRecordReader<ModelStat> reader;
    private final AvroSerializer<Object> serializer;
    private final String v2Topic;
    private final String businessTopic;
    private final Upcaster upcaster;
    private final WireUpcaster wire;
    private final PipelineMetrics metrics;
    private final AtomicLong catalogVersion;
    private final RecordLimits limits;
    private ProcessorContext<Object, Object> context;
    private CatalogStoreView catalog;

    UpcastProcessor(SchemaRegistryClient registry, AvroSerializer<Object> serializer, String v2Topic, String businessTopic,
            Upcaster upcaster, PipelineMetrics metrics, AtomicLong catalogVersion, RecordLimits limits) {
        this.limits = limits;
        this.reader = new StatRecordReader<>(new AvroDeserializer<>(registry, false,
                Map.of(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, ModelStat.class)));
        this.serializer = serializer;
        this.v2Topic = v2Topic;
        this.businessTopic = businessTopic;
        this.upcaster = upcaster;
        this.wire = new WireUpcaster(upcaster.limits(), new V1Layout(registry),
                () -> serializer.schemaIdFor(v2Topic, statbridge.v2.ModelStat.SCHEMA$),
                () -> serializer.schemaIdFor(businessTopic, BusinessStat.SCHEMA$));
        this.metrics = metrics;
        this.catalogVersion = catalogVersion;
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        this.catalog = new CatalogStoreView(context.getStateStore(UpcastTopology.CATALOG_STORE), catalogVersion);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        if (wire.upcast(record.key(), record.value(), catalog::entryOrNull)) {
            emit(record, wire.stat(), wire.business());
            return;
        }
        StatRecordReader.Result<ModelStat> read = reader.read(topic, record.key(), record.value());
        if (read instanceof StatRecordReader.Refused<ModelStat> refused) {
            deadLetter(record, refused.reason(), refused.message());
            return;
        }
        StatRecordReader.Read<ModelStat> event = (StatRecordReader.Read<ModelStat>) read;
        UpcastResult result = upcaster.upcast(event.key(), event.value(), catalog);
        if (result instanceof UpcastResult.Upcast upcast) {
            CatalogEntry inferred = upcast.inferred();
            if (inferred != null) {
                catalog.remember(inferred);
                context.forward(new Record<Object, Object>(inferred.metricName(), CatalogEntryCodec.encode(inferred),
                        record.timestamp()), UpcastTopology.CATALOG_SINK);
                metrics.inferred();
            }
            emit(record, serializer.serialize(v2Topic, upcast.stat()), serializer.serialize(businessTopic, upcast.business()));
        } else if (result instanceof UpcastResult.Rejected rejected) {
            deadLetter(record, rejected.reason(), rejected.message());
        }
    }

    /**
     * Forwards both upcast events, marked as upcast from v1 ({@link Lineage}), or, when either is
     * larger than its topic accepts, dead-letters the source.
     */
    private void emit(Record<byte[], byte[]> source, byte[] stat, byte[] business) {
        Record<byte[], byte[]> record = source.withHeaders(Lineage.markUpcast(new RecordHeaders(source.headers().toArray())));
        long statSize = RecordLimits.size(record.key(), stat, record.headers());
        long businessSize = RecordLimits.size(record.key(), business, record.headers());
        if (statSize > limits.v2() || businessSize > limits.business()) {
            deadLetter(source, Reasons.RECORD_TOO_LARGE, "its upcast events take " + statSize + " and " + businessSize
                    + " bytes; " + v2Topic + " accepts " + limits.v2() + " and " + businessTopic + " " + limits.business());
            return;
        }
        context.forward(record.withValue((Object) stat), UpcastTopology.V2_SINK);
        context.forward(record.withValue((Object) business), UpcastTopology.BUSINESS_SINK);
        metrics.upcast();
    }

    /**
     * Forwards the original bytes with the reason; a dead letter larger than the dead-letter topic
     * accepts goes without its payload (the source coordinates say where it is).
     */
    private void deadLetter(Record<byte[], byte[]> record, String reason, String message) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        Headers headers = DeadLetter.headers(record.headers(), "pipeline", reason, message, source.topic(), source.partition(),
                source.offset());
        long size = RecordLimits.size(record.key(), record.value(), headers);
        if (size > limits.deadLetters()) {
            ProducerRecord<byte[], byte[]> bare = DeadLetter.withoutPayload("", record.key(), record.value(), record.timestamp(),
                    "pipeline", reason, message + "; the dead letter (" + size + " bytes) is larger than the dead-letter topic accepts ("
                            + limits.deadLetters() + "), so its payload was dropped", source.topic(), source.partition(),
                    source.offset());
            context.forward(new Record<Object, Object>(bare.key(), null, record.timestamp(), bare.headers()), UpcastTopology.DLQ_SINK);
        } else {
            context.forward(new Record<Object, Object>(record.key(), record.value(), record.timestamp(), headers),
                    UpcastTopology.DLQ_SINK);
        }
        metrics.deadLettered(reason);
    }
}
