package statbridge.cli;

import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code statbridge} command line. Exit codes: 0 success, 1 the operation found a problem
 * (or could not reach a service), 2 bad usage or bad input.
 */
@Command(name = "statbridge",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Carries a metrics schema change across Kafka and PostgreSQL: upcasts ModelStat v1 events to v2, "
                    + "writes the new split tables and, for a grace period, the legacy-shaped table too, exactly once.",
            ""
        },
        footer = {
            "",
            "Connection settings come from --config FILE, then STATBRIDGE_* environment variables, then flags; "
                    + "left out, they point at a 'statbridge up' on this machine.",
            "Exit codes: 0 success, 1 a problem was found, 2 bad usage or bad input."
        })
public final class Statbridge implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The subcommands every build has, after the local ones ({@link LocalCommands}). */
    private static final List<Class<?>> COMMANDS = List.of(PublishCommand.class, PipelineCommand.class, SinkCommand.class,
            DualWriteCommand.class, BackfillCommand.class, ImportCommand.class, VerifyCommand.class, PurgeLegacyCommand.class, LegacyCommand.class, CatalogCommand.class,
            DlqCommand.class, SeriesCommand.class, ConsoleCommand.class, DbCommand.class, SchemasCommand.class, ConfigCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class);

    /** Builds the command line with statbridge's error handling. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Statbridge());
        List<Class<?>> local = ServiceLoader.load(LocalCommands.class).stream().flatMap(p -> p.get().commands().stream()).toList();
        if (local.isEmpty()) {
            commandLine.addSubcommand("up", new NotInThisBuild());
            commandLine.addSubcommand("demo", new NotInThisBuild());
        }
        local.forEach(commandLine::addSubcommand);
        COMMANDS.forEach(commandLine::addSubcommand);
        commandLine.setExecutionExceptionHandler(new FailureHandler());
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        return commandLine;
    }

    public static void main(String[] args) {
        String format = System.getenv("STATBRIDGE_LOG_FORMAT");
        if (format != null && !format.equals("text") && !format.equals("json")) {
            System.err.println("statbridge: STATBRIDGE_LOG_FORMAT must be text or json, not '" + format + "'");
            System.exit(ExitCodes.BAD_INPUT);
        }
        Thread.setDefaultUncaughtExceptionHandler(Statbridge::threadDied);
        System.exit(commandLine().execute(args));
    }

    /**
     * A thread that dies of an {@link Error} (out of memory, a stack overflow) may have been the one
     * doing the work, or one a Kafka client needs: the process stops at once with a non-zero code,
     * so its supervisor restarts it, rather than go on looking alive and doing nothing.
     */
    private static void threadDied(Thread thread, Throwable error) {
        org.slf4j.LoggerFactory.getLogger(Statbridge.class).error("thread {} died", thread.getName(), error);
        if (error instanceof Error) {
            System.err.println("statbridge: thread " + thread.getName() + " died of " + error + "; exiting");
            Runtime.getRuntime().halt(ExitCodes.PROBLEM);
        }
    }
}
