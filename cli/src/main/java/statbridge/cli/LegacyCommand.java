package statbridge.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.Configuration;
import statbridge.config.Durations;
import statbridge.sink.db.Database;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.lifecycle.LifecycleSettings;

/** {@code statbridge legacy readers|notices|retire}: the end of the migration. */
@Command(name = "legacy", mixinStandardHelpOptions = true,
        description = "Who still reads the legacy shape (model_stats_daily_legacy, its archive, its view, views over them), "
                + "recorded from pg_stat_statements by the sink; each query's rewrite on the new tables; one notice per reading "
                + "role; and removing the legacy view once nobody has read it for a quiet period.",
        subcommands = {LegacyReadersCommand.class, LegacyNoticesCommand.class, LegacyRetireCommand.class})
final class LegacyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reads {@code 7d}, {@code 36h}, {@code 90s} or ISO-8601; a negative or malformed length is bad input (exit 2). */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The lifecycle as this configuration sees it: the other roles statbridge runs as are not readers. */
    static LegacyLifecycle lifecycle(Database database, Configuration config) {
        return new LegacyLifecycle(database.dataSource(), Clock.systemUTC(), config.getList(LifecycleSettings.OWN_ROLES));
    }

    static Duration quietPeriod(Duration option, Configuration config) {
        return option != null ? option : config.getDuration(LifecycleSettings.QUIET_PERIOD);
    }

    /** Samples once, so what is printed is current; says why when it cannot. */
    static void sample(LegacyLifecycle lifecycle, PrintWriter err) throws java.sql.SQLException {
        lifecycle.readers().sample().ifPresent(problem -> err.println("warning: " + problem
                + "; showing what was recorded before"));
    }

    /** The readers seen within the quiet period, as a warning before a step that ends the legacy shape; nothing when none. */
    static void warnReaders(LegacyLifecycle lifecycle, Duration quiet, PrintWriter err) {
        try {
            lifecycle.readers().sample();
            List<LegacyReaders.Reader> recent = lifecycle.readers().seenSince(Instant.now().minus(quiet));
            if (!recent.isEmpty()) {
                Map<String, Long> byRole = new TreeMap<>();
                recent.forEach(r -> byRole.merge(r.role(), r.calls(), Long::sum));
                err.println("warning: the legacy shape was read within the last " + Durations.format(quiet) + " by "
                        + String.join(", ", byRole.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + " calls)").toList())
                        + " — 'statbridge legacy readers' shows their queries, 'statbridge legacy notices' writes their notices");
            }
        } catch (java.sql.SQLException | RuntimeException e) {
            err.println("warning: cannot tell who reads the legacy shape: " + e.getMessage());
        }
    }

    static String oneLine(String sql) {
        return sql.strip().replaceAll("\\s+", " ");
    }

}
