package statbridge.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.charset.StandardCharsets;
import statbridge.config.Secrets;

/**
 * Logback's JSON encoder, one object a line (timestamp, level, logger, message, the key-value
 * pairs such as a record's topic, partition and offset, the throwable), with credentials hidden
 * ({@link Secrets#redact}) like the text lines.
 */
public final class RedactedJsonEncoder extends JsonEncoder {

    @Override
    public byte[] encode(ILoggingEvent event) {
        return Secrets.redact(new String(super.encode(event), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }
}
