package statbridge.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Locale;
import statbridge.contract.MetricTypes;
import statbridge.v2.MetricType;

/**
 * The value format of the compacted {@code metric-catalog} topic: UTF-8 JSON
 * {@code {"metric_name":"psi_country","metric_type":"DRIFT","metric_key":"psi_country","origin":"SEED"}},
 * keyed by the metric name. Readable with any Kafka tool.
 */
public final class CatalogEntryCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CatalogEntryCodec() {
    }

    public static byte[] encode(CatalogEntry entry) {
        ObjectNode node = JSON.createObjectNode()
                .put("metric_name", entry.metricName())
                .put("metric_type", entry.metricType().name())
                .put("metric_key", entry.metricKey())
                .put("origin", entry.origin().name());
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode catalog entry " + entry, e);
        }
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a valid catalog entry
     */
    public static CatalogEntry decode(byte[] bytes) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("catalog entry is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("catalog entry must be a JSON object");
        }
        String type = text(node, "metric_type");
        MetricType metricType = MetricTypes.parse(type);
        String origin = node.path("origin").asText("MANUAL");
        CatalogEntry.Origin parsedOrigin;
        try {
            parsedOrigin = CatalogEntry.Origin.valueOf(origin.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            parsedOrigin = CatalogEntry.Origin.MANUAL;
        }
        return new CatalogEntry(text(node, "metric_name"), metricType, text(node, "metric_key"), parsedOrigin);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("catalog entry has no text field '" + field + "'");
        }
        return value.asText();
    }
}
