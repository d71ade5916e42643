package statbridge.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of a dead-lettered record (CONTRACT.md section 1). The record itself keeps the
 * original key and value bytes, untouched, and its original headers; these are added.
 */
public final class DeadLetter {

    public static final String REASON = "statbridge.error.reason";
    public static final String MESSAGE = "statbridge.error.message";
    public static final String STAGE = "statbridge.error.stage";
    public static final String TIME = "statbridge.error.time";
    public static final String SOURCE_TOPIC = "statbridge.source.topic";
    public static final String SOURCE_PARTITION = "statbridge.source.partition";
    public static final String SOURCE_OFFSET = "statbridge.source.offset";
    /** Set on a dead letter that carries no payload because it was too large: how many bytes the value had. */
    public static final String PAYLOAD_DROPPED = "statbridge.error.payload.dropped";
    /** A replay marker in the dead-letter topic (no key, no value): the {@code topic/partition/offset} of the dead letter replayed. */
    public static final String REPLAYED = "statbridge.replayed";
    /** Set on a record re-driven from the dead-letter topic: the DLQ offset it came from. */
    public static final String REPLAY_OF = "statbridge.replay.of";

    /** Longest error message kept in a header. */
    public static final int MAX_MESSAGE_LENGTH = 2_000;

    private DeadLetter() {
    }

    /** The original headers (minus any earlier error headers) plus the reason and source of this failure. */
    public static Headers headers(Headers original, String stage, String reason, String message, String topic,
            int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        if (original != null) {
            for (Header header : original) {
                if (!header.key().startsWith("statbridge.error.") && !header.key().startsWith("statbridge.source.")) {
                    headers.add(header);
                }
            }
        }
        String text = message == null ? "" : message;
        if (text.length() > MAX_MESSAGE_LENGTH) {
            text = text.substring(0, MAX_MESSAGE_LENGTH) + "...";
        }
        headers.add(REASON, utf8(reason));
        headers.add(MESSAGE, utf8(text));
        headers.add(STAGE, utf8(stage));
        headers.add(TIME, utf8(Instant.now().toString()));
        headers.add(SOURCE_TOPIC, utf8(topic));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
        return headers;
    }

    /** Longest original key kept on a dead letter whose payload was dropped. */
    public static final int MAX_KEPT_KEY_BYTES = 1_024;

    /**
     * A dead letter for a record too large to be dead-lettered whole: no value, the key only if
     * short, the reason and the source coordinates (where the bytes can still be read while the
     * source topic keeps them), and how large the value was.
     */
    public static ProducerRecord<byte[], byte[]> withoutPayload(String dlqTopic, byte[] key, byte[] value, Long timestamp,
            String stage, String reason, String message, String topic, int partition, long offset) {
        Headers headers = headers(null, stage, reason, message, topic, partition, offset);
        headers.add(PAYLOAD_DROPPED, utf8(Integer.toString(value == null ? 0 : value.length)));
        byte[] keptKey = key != null && key.length <= MAX_KEPT_KEY_BYTES ? key : null;
        return new ProducerRecord<>(dlqTopic, null, timestamp, keptKey, null, headers);
    }

    /** The text of a header, or null when absent. */
    public static String header(Headers headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
