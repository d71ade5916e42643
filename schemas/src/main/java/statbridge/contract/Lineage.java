package statbridge.contract;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How a v2 event came to its topic, in a record header: the pipeline marks the two events it
 * upcasts from a v1 event with {@value #UPCAST_FROM}{@code : v1}; an event without the header was
 * published as v2. The sink keeps it as the series' {@code last_path}.
 */
public final class Lineage {

    /** The header the pipeline sets on what it upcasts. */
    public static final String UPCAST_FROM = "statbridge.upcast.from";
    /** Its value: the version the event was upcast from. */
    public static final String V1 = "v1";
    private static final byte[] V1_BYTES = V1.getBytes(StandardCharsets.UTF_8);

    private Lineage() {
    }

    /** Marks {@code headers} as those of an event upcast from v1, replacing any such header a producer set. */
    public static Headers markUpcast(Headers headers) {
        headers.remove(UPCAST_FROM);
        return headers.add(UPCAST_FROM, V1_BYTES);
    }

    /** Whether the pipeline upcast the record with these headers from a v1 event. */
    public static boolean upcast(Headers headers) {
        Header header = headers.lastHeader(UPCAST_FROM);
        return header != null && java.util.Arrays.equals(header.value(), V1_BYTES);
    }
}
