package statbridge.contract;

import java.util.List;
import java.util.Locale;
import statbridge.v2.MetricType;

/**
 * The one parser of metric types from text (files, the command line, catalog records, the
 * database). {@code UNKNOWN} is the reader's default symbol for a type added later, never a type
 * a stat or a catalog entry may carry, so it is refused like any other unknown name.
 */
public final class MetricTypes {

    /** The types a stat may carry. */
    public static final List<MetricType> KNOWN = List.of(MetricType.ONLINE, MetricType.BUSINESS, MetricType.DRIFT);

    private MetricTypes() {
    }

    /**
     * The type {@code text} names, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the text and the allowed types
     */
    public static MetricType parse(String text) {
        String name = text == null ? "" : text.strip().toUpperCase(Locale.ROOT);
        for (MetricType type : KNOWN) {
            if (type.name().equals(name)) {
                return type;
            }
        }
        String shown = text == null ? "" : text.length() > 40 ? text.substring(0, 40) + "..." : text;
        throw new IllegalArgumentException("metric_type '" + shown + "' is not one of ONLINE, BUSINESS, DRIFT");
    }
}
