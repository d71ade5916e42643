package statbridge.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the components' logs (Kafka, Flyway, Kafka Streams, and statbridge's own INFO lines) to a
 * file, so that a terminal running {@code up} or {@code demo} shows statbridge's progress and
 * results, and only the warnings and errors of statbridge itself beside them.
 */
public final class LogFiles {

    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%replace( %kvp){'^ $', ''}%n%ex";

    private LogFiles() {
    }

    /**
     * Diverts the console's log lines to {@code file} (appended to) until the returned handle is
     * closed; statbridge's own warnings and errors still reach the console. Does nothing, and
     * returns a handle that does nothing, when logging is not Logback's.
     */
    public static AutoCloseable divertTo(Path file) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> { };
        }
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Logger statbridge = context.getLogger("statbridge");
        List<Appender<ILoggingEvent>> consoles = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> appender = it.next();
            if (appender instanceof ConsoleAppender) {
                consoles.add(appender);
            }
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        FileAppender<ILoggingEvent> log = new FileAppender<>();
        log.setContext(context);
        log.setName("statbridge-log-file");
        log.setFile(file.toString());
        log.setAppend(true);
        log.setEncoder(encoder);
        log.start();
        // statbridge's own warnings and errors go on reaching the terminal, through a console of their own
        List<ConsoleAppender<ILoggingEvent>> warnings = new ArrayList<>();
        for (Appender<ILoggingEvent> console : consoles) {
            root.detachAppender(console);
            ConsoleAppender<ILoggingEvent> warning = new ConsoleAppender<>();
            warning.setContext(context);
            warning.setName("statbridge-warnings");
            warning.setTarget(((ConsoleAppender<ILoggingEvent>) console).getTarget());
            warning.setEncoder(((ConsoleAppender<ILoggingEvent>) console).getEncoder());
            ThresholdFilter threshold = new ThresholdFilter();
            threshold.setLevel(Level.WARN.levelStr);
            threshold.start();
            warning.addFilter(threshold);
            warning.start();
            statbridge.addAppender(warning);
            warnings.add(warning);
        }
        root.addAppender(log);
        return () -> {
            root.detachAppender(log);
            log.stop();
            for (ConsoleAppender<ILoggingEvent> warning : warnings) {
                statbridge.detachAppender(warning);
            }
            consoles.forEach(root::addAppender);
        };
    }
}
