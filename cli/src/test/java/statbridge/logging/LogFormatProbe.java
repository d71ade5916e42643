package statbridge.logging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs what a dead-lettered record's warning looks like, for {@link LogFormatTest} to run in a JVM of its own. */
public final class LogFormatProbe {

    private static final Logger LOG = LoggerFactory.getLogger("statbridge.sink.RecordDecoder");

    public static void main(String[] args) {
        LOG.atWarn().addKeyValue("topic", "model-stats.v2").addKeyValue("partition", 3).addKeyValue("offset", 41L)
                .log("dead-lettering model-stats.v2-3@41 read from jdbc:postgresql://db/stats?user=sink&password=hunter2");
    }
}
