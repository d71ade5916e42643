package statbridge.serde;

import java.util.Map;
import statbridge.registry.RegistryClientConfig;

/**
 * Serializer and deserializer settings. The keys are Confluent's, so a producer or consumer
 * configuration written for their serdes works with ours unchanged; registry connection keys
 * are described in {@link RegistryClientConfig}.
 *
 * @param autoRegisterSchemas register the record's schema under the subject when serializing
 * @param specificReader read into generated classes rather than {@code GenericRecord}
 * @param specificType the generated class to read into, whatever the writer's record name
 * @param logicalTypeConverters convert logical types (e.g. {@code date} to {@code LocalDate}) in
 *     generic records too
 */
public record AvroSerdeConfig(boolean autoRegisterSchemas, boolean specificReader, Class<?> specificType,
        boolean logicalTypeConverters) {

    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String AUTO_REGISTER_SCHEMAS_DOC = "Register the record's schema under the subject "
            + "when serializing. Default: true. When false the schema must already be registered.";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    public static final String SPECIFIC_AVRO_READER_DOC = "Deserialize into generated SpecificRecord classes. Default: false.";
    public static final String SPECIFIC_AVRO_KEY_TYPE = "specific.avro.key.type";
    public static final String SPECIFIC_AVRO_VALUE_TYPE = "specific.avro.value.type";
    public static final String SPECIFIC_AVRO_TYPE_DOC = "The generated class to read keys/values into, resolving "
            + "whatever writer schema the message names against it. Implies specific.avro.reader.";
    public static final String LOGICAL_TYPE_CONVERTERS = "avro.use.logical.type.converters";
    public static final String LOGICAL_TYPE_CONVERTERS_DOC = "Convert logical types in generic records. Default: false.";

    /** Reads the settings for a key ({@code isKey}) or value serde. */
    public static AvroSerdeConfig fromMap(Map<String, ?> configs, boolean isKey) {
        Object typeName = configs.get(isKey ? SPECIFIC_AVRO_KEY_TYPE : SPECIFIC_AVRO_VALUE_TYPE);
        Class<?> type = null;
        if (typeName instanceof Class<?> c) {
            type = c;
        } else if (typeName != null && !typeName.toString().isBlank()) {
            try {
                type = Class.forName(typeName.toString().trim(), true, Thread.currentThread().getContextClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalArgumentException("no class '" + typeName + "' for "
                        + (isKey ? SPECIFIC_AVRO_KEY_TYPE : SPECIFIC_AVRO_VALUE_TYPE), e);
            }
        }
        return new AvroSerdeConfig(
                bool(configs, AUTO_REGISTER_SCHEMAS, true),
                type != null || bool(configs, SPECIFIC_AVRO_READER, false),
                type,
                bool(configs, LOGICAL_TYPE_CONVERTERS, false));
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean fallback) {
        Object value = configs.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = value.toString().trim();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException("configuration '" + key + "' must be true or false, not '" + value + "'");
    }
}
