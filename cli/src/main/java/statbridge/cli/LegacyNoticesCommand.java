package statbridge.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
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
import statbridge.tools.lifecycle.ReaderNotices;
import statbridge.tools.migration.MigrationGuide;

@Command(name = "notices", mixinStandardHelpOptions = true,
        description = "Writes one Markdown notice per role that read the legacy shape: what changes and when, the queries "
                + "it ran (calls, last seen) with their rewrites, and links into the migration guide, written beside them.")
final class LegacyNoticesCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Directory to write the notices to.")
    Path output;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "30d", converter = LegacyCommand.DurationConverter.class,
            description = "Roles and queries seen within this long (default: ${DEFAULT-VALUE}).")
    Duration since;

    @Option(names = "--quiet-period", paramLabel = "DURATION", converter = LegacyCommand.DurationConverter.class,
            description = "The quiet period the notices announce (default: legacy.quiet.period, else 14d).")
    Duration quietPeriod;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Configuration config = connection.resolve();
        Duration quiet = LegacyCommand.quietPeriod(quietPeriod, config);
        writable(output);
        PrintWriter out = spec.commandLine().getOut();
        try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
            LegacyLifecycle lifecycle = LegacyCommand.lifecycle(database, config);
            LegacyCommand.sample(lifecycle, spec.commandLine().getErr());
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
