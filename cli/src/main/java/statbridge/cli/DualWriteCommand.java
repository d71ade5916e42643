package statbridge.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.ParityMismatchException;
import statbridge.config.Durations;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;

/** {@code statbridge dual-write status|on|off}: the platform team's switch. */
@Command(name = "dual-write", mixinStandardHelpOptions = true,
        description = "Show or change whether the sink also writes the legacy-shaped table model_stats_daily_legacy.",
        subcommands = {DualWriteCommand.Status.class, DualWriteCommand.On.class, DualWriteCommand.Off.class})
final class DualWriteCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static Database open(ConnectionOptions connection) {
        return Database.open(DatabaseConfig.from(connection.resolve()), "statbridge-cli");
    }

    static void printStatus(PrintWriter out, DualWriteStatus status) {
        out.println("dual-write:        " + (status.on() ? "ON  (the sink writes the new tables and model_stats_daily_legacy)"
                : "OFF (model_stats_daily_legacy is a view over the new tables)"));
        out.println("changed:           " + status.changedAt() + " by " + status.changedBy()
                + (status.forced() ? " (FORCED)" : "") + (status.reason() == null || status.reason().isBlank() ? "" : " — " + status.reason()));
        if (status.gracePeriodEnd() == null) {
            out.println("grace period:      none set (sink.grace.period.end)");
        } else {
            Duration left = status.timeLeft(Instant.now()).orElseThrow();
            out.println("grace period:      ends " + status.gracePeriodEnd() + " ("
                    + (left.isNegative() ? "ended " + human(left.negated()) + " ago" : human(left) + " left")
                    + "); then " + (status.onGraceEnd().name().equals("SWITCH_OFF") ? "switch off automatically" : "warn"));
        }
        out.println("last parity check: " + status.lastParity().map(Object::toString).orElse("never run (statbridge verify)"));
        if (!status.history().isEmpty()) {
            out.println("history (newest first):");
            DualWriteSwitch.describe(status.history()).forEach(line -> out.println("  " + line));
        }
        out.flush();
    }

    /** The end of the lifecycle: readers within the quiet period and whether the legacy view could be retired now. */
    static void printLifecycle(PrintWriter out, Database database, statbridge.config.Configuration config) {
        Duration quiet = LegacyCommand.quietPeriod(null, config);
        try {
            LegacyLifecycle lifecycle = LegacyCommand.lifecycle(database, config);
            lifecycle.readers().sample();
            LegacyLifecycle.Verdict verdict = lifecycle.verdict(quiet);
            java.util.Set<String> roles = new java.util.TreeSet<>(verdict.readers().stream().map(LegacyReaders.Reader::role).toList());
            out.println("legacy readers:    " + (roles.isEmpty() ? "none" : roles.size() + " role(s): " + String.join(", ", roles))
                    + " within the quiet period of " + Durations.format(quiet) + " (statbridge legacy readers)");
            out.println("legacy retire:     " + (verdict.retired() ? "done: the legacy view is retired ('dual-write on' brings the table back)"
                    : verdict.passes() ? "would pass (statbridge legacy retire)"
                    : "would be refused: " + String.join("; ", verdict.reasons())));
        } catch (java.sql.SQLException | RuntimeException e) {
            out.println("legacy readers:    unknown: " + e.getMessage());
        }
        out.flush();
    }

    private static String human(Duration d) {
        if (d.toDays() > 0) {
            return d.toDays() + "d " + d.toHoursPart() + "h";
        }
        if (d.toHours() > 0) {
            return d.toHours() + "h " + d.toMinutesPart() + "m";
        }
        return d.toMinutes() + "m " + d.toSecondsPart() + "s";
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows the mode, the grace period's end and time left, the last parity result and recent changes.")
    static final class Status implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--history", paramLabel = "N", defaultValue = "5", description = "Recent changes to show (default: ${DEFAULT-VALUE}).")
        int history;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            statbridge.config.Configuration config = connection.resolve();
            try (Database database = open(connection)) {
                printStatus(spec.commandLine().getOut(), new DualWriteSwitch(database.dataSource()).status(history));
                printLifecycle(spec.commandLine().getOut(), database, config);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "off", mixinStandardHelpOptions = true,
            description = "Stops legacy writes and puts a view with the same name and columns in place of model_stats_daily_legacy "
                    + "(the table is kept as model_stats_daily_legacy_archive), in one transaction. Runs the parity check first "
                    + "and refuses (exit 1) if the two shapes disagree, unless --force, which is recorded.")
    static final class Off implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the record.")
        String reason;

        @Option(names = "--force", description = "Switch off even when the parity check finds differences (recorded).")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (Database database = open(connection)) {
                DualWriteSwitch dualWrite = new DualWriteSwitch(database.dataSource());
                try {
                    DualWriteSwitch.SwitchResult result = dualWrite.off(DualWriteSwitch.currentActor(), reason, force);
                    statbridge.config.Configuration config = connection.resolve();
                    LegacyCommand.warnReaders(LegacyCommand.lifecycle(database, config), LegacyCommand.quietPeriod(null, config),
                            spec.commandLine().getErr());
                    out.println("parity: " + result.parity());
                    out.println(result.message());
                } catch (ParityMismatchException e) {
                    spec.commandLine().getErr().println("statbridge dual-write off: " + e.getMessage());
                    return ExitCodes.PROBLEM;
                }
                out.println();
                printStatus(out, dualWrite.status(3));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "on", mixinStandardHelpOptions = true,
            description = "Rollback: puts the legacy table back in place of the view, rebuilds the legacy rows written to the "
                    + "new tables while dual-write was off (so the table has no gap), and resumes dual-write, in one transaction.")
    static final class On implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the record.")
        String reason;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            try (Database database = open(connection)) {
                DualWriteSwitch dualWrite = new DualWriteSwitch(database.dataSource());
                out.println(dualWrite.on(DualWriteSwitch.currentActor(), reason).message());
                out.println();
                printStatus(out, dualWrite.status(3));
            }
            return ExitCodes.OK;
        }
    }
}
