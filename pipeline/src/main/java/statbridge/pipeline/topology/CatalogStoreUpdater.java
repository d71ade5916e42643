package statbridge.pipeline.topology;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.pipeline.PipelineMetrics;

/** Keeps the global catalog store equal to the compacted {@code metric-catalog} topic; a null value deletes. */
final class CatalogStoreUpdater implements Processor<String, byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogStoreUpdater.class);

    private final PipelineMetrics metrics;
    private final AtomicLong version;
    private KeyValueStore<String, byte[]> store;

    CatalogStoreUpdater(PipelineMetrics metrics, AtomicLong version) {
        this.metrics = metrics;
        this.version = version;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(UpcastTopology.CATALOG_STORE);
        metrics.catalogSize(store.approximateNumEntries());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            LOG.warn("ignoring a metric-catalog record without a key");
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            try {
                CatalogEntryCodec.decode(record.value());
            } catch (IllegalArgumentException e) {
                LOG.warn("ignoring unreadable metric-catalog record for '{}': {}", record.key(), e.getMessage());
                return;
            }
            store.put(record.key(), record.value());
        }
        version.incrementAndGet();
        metrics.catalogSize(store.approximateNumEntries());
    }
}
