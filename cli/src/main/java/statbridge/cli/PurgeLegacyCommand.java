package statbridge.cli;

import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.tools.migration.PurgeLegacy;

/** {@code statbridge purge-legacy}: deletes legacy rows the new tables hold. */
@Command(name = "purge-legacy", mixinStandardHelpOptions = true,
        description = "Deletes legacy rows only where the new tables hold the same facts (checked as it goes); rows that exist "
                + "only in the legacy shape, or differ, are kept and reported. Whole monthly partitions that qualify are dropped. "
                + "Works on the archived legacy table once dual-write is off; refuses while it is on unless --force.")
final class PurgeLegacyCommand implements Callable<Integer> {

    static final class Scope {
        @Option(names = "--before", paramLabel = "YYYY-MM-DD", required = true, description = "Purge rows with stat_date before this day.")
        LocalDate before;

        @Option(names = "--all", required = true, description = "Purge every row the new tables hold.")
        boolean all;
    }

    @Mixin
    ConnectionOptions connection;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Scope scope;

    @Option(names = "--dry-run", description = "Say what would be purged and change nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Purge the live legacy table even though dual-write is on.")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        statbridge.config.Configuration config = connection.resolve();
        try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-purge")) {
            LegacyCommand.warnReaders(LegacyCommand.lifecycle(database, config), LegacyCommand.quietPeriod(null, config),
                    spec.commandLine().getErr());
            PurgeLegacy.Result result;
            try {
                result = new PurgeLegacy(database.dataSource()).run(scope.all ? null : scope.before, dryRun, force);
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("statbridge purge-legacy: " + e.getMessage());
                return ExitCodes.PROBLEM;
            }
            String verb = dryRun ? "would delete" : "deleted";
            out.printf(Locale.ROOT, "%s (%s): %s %,d row(s)%n", result.table(), scope.all ? "all rows" : "before " + scope.before,
                    verb, result.deleted());
            result.droppedPartitions().forEach(p -> out.println("  " + (dryRun ? "would drop" : "dropped") + " partition " + p));
            out.printf(Locale.ROOT, "kept %,d row(s) that exist only in the legacy shape and %,d whose values differ from the new "
                    + "tables%s%n", result.keptOnlyInLegacy(), result.keptDiffering(),
                    result.keptOnlyInLegacy() + result.keptDiffering() > 0 ? " ('statbridge verify' lists them)" : "");
            if (dryRun) {
                out.println("dry run: nothing changed");
            }
        }
        return ExitCodes.OK;
    }
}
