package statbridge.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.Configuration;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;

@Command(name = "retire", mixinStandardHelpOptions = true,
        description = "Removes the legacy view (dual-write must be off) once no reader has been seen for the quiet period, "
                + "and records it in the dual-write history; otherwise refuses (exit 1) and lists who still reads it. "
                + "Until 'purge-legacy --all', 'dual-write on' still brings the legacy table back with no gap.")
final class LegacyRetireCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--quiet-period", paramLabel = "DURATION", converter = LegacyCommand.DurationConverter.class,
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
        Duration quiet = LegacyCommand.quietPeriod(quietPeriod, config);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
            LegacyLifecycle lifecycle = LegacyCommand.lifecycle(database, config);
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
                            LegacyCommand.oneLine(reader.query()));
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
