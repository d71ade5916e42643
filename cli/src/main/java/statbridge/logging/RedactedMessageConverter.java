package statbridge.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import statbridge.config.Secrets;

/** {@code %msg} with credentials hidden ({@link Secrets#redact}), whoever logged them: statbridge or a library. */
public final class RedactedMessageConverter extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return Secrets.redact(super.convert(event));
    }
}
