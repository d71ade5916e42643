package statbridge.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The console's encoder: text lines in {@link #setPattern the pattern} by default, or with
 * {@code STATBRIDGE_LOG_FORMAT=json} one JSON object a line ({@link RedactedJsonEncoder}), for a
 * log pipeline. One appender serves both, so the configuration names no appender it leaves unused.
 */
public final class FormatEncoder extends EncoderBase<ILoggingEvent> {

    /** The environment variable that chooses, {@code text} or {@code json}. */
    public static final String FORMAT = "STATBRIDGE_LOG_FORMAT";

    private String pattern;
    private Encoder<ILoggingEvent> delegate;

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    /** Whether lines are JSON: {@code STATBRIDGE_LOG_FORMAT=json}. */
    public static boolean json() {
        return "json".equals(System.getenv(FORMAT));
    }

    @Override
    public void start() {
        if (json()) {
            RedactedJsonEncoder encoder = new RedactedJsonEncoder();
            encoder.setWithSequenceNumber(false);
            encoder.setWithNanoseconds(false);
            encoder.setWithContext(false);
            encoder.setWithMessage(false);
            encoder.setWithArguments(false);
            encoder.setWithFormattedMessage(true);
            delegate = encoder;
        } else {
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setPattern(pattern);
            delegate = encoder;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
