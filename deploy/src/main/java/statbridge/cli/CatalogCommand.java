package statbridge.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.migration.MigrationGuide;

/** {@code statbridge catalog guide}: the metric catalog for people. */
@Command(name = "catalog", mixinStandardHelpOptions = true, description = "Read the metric catalog.",
        subcommands = {CatalogCommand.Guide.class})
final class CatalogCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "guide", mixinStandardHelpOptions = true,
            description = "Writes the migration guide for dashboard owners (Markdown): every legacy metric_name with its "
                    + "(metric_type, metric_key), and for each the old query and the rewritten query on the new tables.")
    static final class Guide implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
        Path output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String guide;
            try (Database database = Database.open(DatabaseConfig.from(connection.resolve()), "statbridge-catalog");
                    Connection db = database.dataSource().getConnection()) {
                guide = MigrationGuide.render(CatalogTable.all(db));
                db.rollback();
            }
            if (output == null) {
                spec.commandLine().getOut().print(guide);
                spec.commandLine().getOut().flush();
            } else {
                Files.writeString(output, guide, StandardCharsets.UTF_8);
                spec.commandLine().getOut().println("wrote the migration guide to " + output);
            }
            return ExitCodes.OK;
        }
    }
}
