package statbridge.serde;

import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import statbridge.registry.SchemaRegistryClient;

/** Kafka {@link Serde}s over {@link AvroSerializer} and {@link AvroDeserializer}. */
public final class AvroSerdes {

    private AvroSerdes() {
    }

    /** A value serde reading every message into the generated class {@code type}. */
    public static <T extends SpecificRecord> Serde<T> specific(SchemaRegistryClient registry, Class<T> type,
            Map<String, ?> configs) {
        Map<String, Object> merged = new java.util.HashMap<>(configs);
        merged.put(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, type);
        return Serdes.serdeFrom(new AvroSerializer<>(registry, false, merged), new AvroDeserializer<>(registry, false, merged));
    }

    /** A value serde for generic records, read with the writer's schema. */
    public static Serde<GenericRecord> generic(SchemaRegistryClient registry, Map<String, ?> configs) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, false, configs), new AvroDeserializer<>(registry, false, configs));
    }
}
