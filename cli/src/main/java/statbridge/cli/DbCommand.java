package statbridge.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;

/** {@code statbridge db migrate}: applies the database migrations. */
@Command(name = "db", mixinStandardHelpOptions = true, description = "Database administration.",
        subcommands = {DbCommand.Migrate.class})
final class DbCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Creates or upgrades the ml_monitoring schema: tables (partitioned by month), the dual-write state, "
                    + "the sink's offsets, and the read-only role ml_monitoring_reader. Safe to run again.")
    static final class Migrate implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            DatabaseConfig config = DatabaseConfig.from(connection.resolve());
            try (Database database = Database.open(config, "statbridge-cli")) {
                int applied = database.migrate();
                spec.commandLine().getOut().println(applied == 0 ? "the database is up to date (" + config + ")"
                        : "applied " + applied + " migration(s) to " + config);
            }
            return ExitCodes.OK;
        }
    }
}
