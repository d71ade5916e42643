package statbridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.Configuration;
import statbridge.config.Durations;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.lifecycle.LifecycleSettings;
import statbridge.tools.lifecycle.ReaderNotices;
import statbridge.tools.lifecycle.SqlLayout;
import statbridge.tools.migration.MigrationGuide;

/** {@code statbridge legacy readers|notices|retire}: the end of the migration. */
@Command(name = "legacy", mixinStandardHelpOptions = true,
        description = "Who still reads the legacy shape (model_stats_daily_legacy, its archive, its view, views over them), "
                + "recorded from pg_stat_statements by the sink; each query's rewrite on the new tables; one notice per reading "
                + "role; and removing the legacy view once nobody has read it for a quiet period.",
        subcommands = {LegacyCommand.Readers.class, LegacyCommand.Notices.class, LegacyCommand.Retire.class})
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

    @Command(name = "readers", mixinStandardHelpOptions = true,
            description = "Lists every distinct query that read the legacy shape, by role, with calls, rows, first and last seen "
                    + "(statbridge's own role is not a reader). Takes a sample from pg_stat_statements first.")
    static final class Readers implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--since", paramLabel = "DURATION", defaultValue = "30d", converter = DurationConverter.class,
                description = "Only queries last seen within this long (e.g. 7d, 12h; default: ${DEFAULT-VALUE}).")
        Duration since;

        @Option(names = "--rewrites", description = "Also show each query's rewrite on the new tables, checked on the current data.")
        boolean rewrites;

        @Option(names = "--json", description = "Print them as JSON (with the rewrites).")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
                LegacyLifecycle lifecycle = lifecycle(database, config);
                sample(lifecycle, spec.commandLine().getErr());
                LegacyReaders.Sampling sampling = lifecycle.readers().sampling();
                List<LegacyReaders.Reader> seen = lifecycle.readers().seenSince(Instant.now().minus(since));
                List<LegacyLifecycle.ReaderQuery> queries = rewrites || json ? lifecycle.rewrites(seen) : List.of();
                if (json) {
                    List<Map<String, Object>> list = new ArrayList<>();
                    for (LegacyLifecycle.ReaderQuery query : queries) {
                        Map<String, Object> item = new LinkedHashMap<>();
                        LegacyReaders.Reader reader = query.reader();
                        item.put("role", reader.role());
                        item.put("query", reader.query());
                        item.put("calls", reader.calls());
                        item.put("rows", reader.rows());
                        item.put("first_seen", reader.firstSeen().toString());
                        item.put("last_seen", reader.lastSeen().toString());
                        item.put("rewrite", query.offered() ? query.rewrite().rewritten() : null);
                        item.put("rewrite_check", query.offered() ? query.check().toString() : null);
                        item.put("not_rewritten_because", query.refusal());
                        item.put("metrics", query.rewrite().metrics());
                        list.add(item);
                    }
                    Map<String, Object> document = new LinkedHashMap<>();
                    document.put("since", Instant.now().minus(since).toString());
                    document.put("recorded_since", sampling.since() == null ? null : sampling.since().toString());
                    document.put("last_sample", sampling.sampledAt() == null ? null : sampling.sampledAt().toString());
                    document.put("sampling_problem", sampling.working() ? null : sampling.problem());
                    document.put("readers", list);
                    out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document));
                    return ExitCodes.OK;
                }
                out.println("readers of the legacy shape in the last " + Durations.format(since) + " (recorded since "
                        + (sampling.since() == null ? "never" : sampling.since()) + ", last sample "
                        + (sampling.sampledAt() == null ? "never" : sampling.sampledAt()) + "):");
                if (seen.isEmpty()) {
                    out.println("  none");
                }
                String role = null;
                for (int i = 0; i < seen.size(); i++) {
                    LegacyReaders.Reader reader = seen.get(i);
                    if (!reader.role().equals(role)) {
                        role = reader.role();
                        out.println("role " + role + ":");
                    }
                    out.printf(Locale.ROOT, "  %,d call(s), %,d row(s), first %s, last %s%n", reader.calls(), reader.rows(),
                            reader.firstSeen(), reader.lastSeen());
                    out.println("    " + oneLine(reader.query()));
                    if (rewrites) {
                        LegacyLifecycle.ReaderQuery query = queries.get(i);
                        out.println(query.offered() ? "    rewrite (" + query.check() + "):\n      "
                                + SqlLayout.lines(query.rewrite().rewritten()).replace("\n", "\n      ")
                                : "    not rewritten: " + query.refusal());
                    }
                }
            }
            return ExitCodes.OK;
        }
    }

    static String oneLine(String sql) {
        return sql.strip().replaceAll("\\s+", " ");
    }

    @Command(name = "notices", mixinStandardHelpOptions = true,
            description = "Writes one Markdown notice per role that read the legacy shape: what changes and when, the queries "
                    + "it ran (calls, last seen) with their rewrites, and links into the migration guide, written beside them.")
    static final class Notices implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Directory to write the notices to.")
        Path output;

        @Option(names = "--since", paramLabel = "DURATION", defaultValue = "30d", converter = DurationConverter.class,
                description = "Roles and queries seen within this long (default: ${DEFAULT-VALUE}).")
        Duration since;

        @Option(names = "--quiet-period", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "The quiet period the notices announce (default: legacy.quiet.period, else 14d).")
        Duration quietPeriod;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Configuration config = connection.resolve();
            Duration quiet = quietPeriod(quietPeriod, config);
            writable(output);
            PrintWriter out = spec.commandLine().getOut();
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
                LegacyLifecycle lifecycle = lifecycle(database, config);
                sample(lifecycle, spec.commandLine().getErr());
                List<LegacyReaders.Reader> seen = lifecycle.readers().seenSince(Instant.now().minus(since));
                Map<String, List<LegacyLifecycle.ReaderQuery>> byRole = new TreeMap<>();
                for (LegacyLifecycle.ReaderQuery query : lifecycle.rewrites(seen)) {
                    byRole.computeIfAbsent(query.reader().role(), r -> new ArrayList<>()).add(query);
                }
                DualWriteStatus status = new DualWriteSwitch(database.dataSource()).status(0);
                String guide;
                try (java.sql.Connection c = database.dataSource().getConnection()) {
                    guide = MigrationGuide.render(CatalogTable.all(c));
                    c.rollback();
                }
                Files.writeString(output.resolve("migration-guide.md"), guide, StandardCharsets.UTF_8);
                for (Map.Entry<String, List<LegacyLifecycle.ReaderQuery>> role : byRole.entrySet()) {
                    Path file = output.resolve(ReaderNotices.fileName(role.getKey()));
                    Files.writeString(file, ReaderNotices.render(role.getKey(), role.getValue(), status, quiet, "migration-guide.md"),
                            StandardCharsets.UTF_8);
                    long offered = role.getValue().stream().filter(LegacyLifecycle.ReaderQuery::offered).count();
                    out.printf(Locale.ROOT, "%s: %d quer%s, %d rewritten%n", file, role.getValue().size(),
                            role.getValue().size() == 1 ? "y" : "ies", offered);
                }
                out.println(byRole.isEmpty() ? "no role read the legacy shape in the last " + Durations.format(since) + "; wrote "
                        + output.resolve("migration-guide.md") : "wrote " + byRole.size() + " notice(s) and " + output.resolve("migration-guide.md"));
            }
            return ExitCodes.OK;
        }

        /** Refuses, before anything is written, a directory that cannot be created or written to. */
        private static void writable(Path directory) {
            try {
                Files.createDirectories(directory);
                Path probe = Files.createTempFile(directory, ".statbridge-", ".probe");
                Files.delete(probe);
            } catch (IOException | SecurityException e) {
                throw new BadInputException("cannot write notices to " + directory + ": " + e);
            }
        }
    }

    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = "Removes the legacy view (dual-write must be off) once no reader has been seen for the quiet period, "
                    + "and records it in the dual-write history; otherwise refuses (exit 1) and lists who still reads it. "
                    + "Until 'purge-legacy --all', 'dual-write on' still brings the legacy table back with no gap.")
    static final class Retire implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--quiet-period", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "How long no reader may have been seen (default: legacy.quiet.period, else 14d).")
        Duration quietPeriod;

        @Option(names = "--force", description = "Retire even though readers were seen or cannot be seen (needs --reason; recorded).")
        boolean force;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the dual-write history.")
        String reason;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (force && (reason == null || reason.isBlank())) {
                throw new BadInputException("--force needs --reason: it is recorded in the dual-write history");
            }
            Configuration config = connection.resolve();
            Duration quiet = quietPeriod(quietPeriod, config);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
                LegacyLifecycle lifecycle = lifecycle(database, config);
                LegacyLifecycle.Retirement retirement = lifecycle.retire(quiet, force, reason, DualWriteSwitch.currentActor());
                if (retirement.outcome() == DualWriteSwitch.Retired.DUAL_WRITE_ON) {
                    err.println("statbridge legacy retire: dual-write is on, so model_stats_daily_legacy is the live table; "
                            + "switch it off first (statbridge dual-write off)");
                    return ExitCodes.PROBLEM;
                }
                if (retirement.outcome() == DualWriteSwitch.Retired.ALREADY_RETIRED) {
                    out.println("the legacy view is already retired ('statbridge dual-write on' brings the legacy table back)");
                    return ExitCodes.OK;
                }
                if (retirement.outcome() == DualWriteSwitch.Retired.VIEWS_DEPEND_ON_IT && force) {
                    err.println("statbridge legacy retire: even with --force, the legacy view is not dropped while views of yours "
                            + "read it:");
                    retirement.verdict().views().forEach(view -> err.println("  - " + view));
                    return ExitCodes.PROBLEM;
                }
                if (retirement.outcome() == null || retirement.outcome() == DualWriteSwitch.Retired.VIEWS_DEPEND_ON_IT) {
                    err.println("statbridge legacy retire: refusing to remove the legacy view:");
                    retirement.verdict().reasons().forEach(r -> err.println("  - " + r));
                    for (LegacyReaders.Reader reader : retirement.verdict().readers()) {
                        err.printf(Locale.ROOT, "    %s: %,d call(s), last %s: %s%n", reader.role(), reader.calls(), reader.lastSeen(),
                                oneLine(reader.query()));
                    }
                    err.println("  'statbridge legacy notices -o DIR' writes their notices; --force --reason TEXT overrides (recorded)");
                    return ExitCodes.PROBLEM;
                }
                out.println("retired the legacy view model_stats_daily_legacy" + (retirement.forced() ? " (FORCED: " + reason + ")" : "")
                        + "; the table is kept as model_stats_daily_legacy_archive, and 'statbridge dual-write on' brings it back "
                        + "with no gap until 'statbridge purge-legacy --all'");
            }
            return ExitCodes.OK;
        }
    }
}
