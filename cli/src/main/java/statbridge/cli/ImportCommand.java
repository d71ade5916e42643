package statbridge.cli;

import statbridge.contract.ValidationSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.catalog.UnmappedPolicy;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.pipeline.PipelineSettings;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Import;
import statbridge.tools.migration.ImportSource;

/** {@code statbridge import}: brings a team's existing legacy-shaped history into both shapes. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {
            "Brings an existing legacy-shaped table or view (the history a team had before statbridge, with the columns "
                    + "model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value) "
                    + "into the new tables and, while dual-write is on, the legacy table, in one pass, creating the monthly "
                    + "partitions it needs. For other column names or types, create a view that renames or casts them and "
                    + "import the view.",
            "Rows that break the contract's rules (missing or over-long names, control characters, dates out of range, "
                    + "missing or non-finite values, several different rows for one key) are not imported: they are "
                    + "counted, listed and kept in ml_monitoring.import_rejected. Never overwrites a row the sink wrote, "
                    + "never brings back a KPI the sink withdrew, idempotent (a second run changes nothing) and resumable: "
                    + "interrupted at any moment, run it again with the same flags and it continues with the chunks it had "
                    + "not committed.",
            "Legacy names the catalog lacks follow pipeline.unmapped.policy: INFER adds the inferred entries to the catalog "
                    + "(topic and table) first; DLQ skips those rows and reports them."
        })
final class ImportCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--source", required = true, paramLabel = "SCHEMA.TABLE",
            description = "The table or view to import, in the same database (plain identifiers, folded to lower case "
                    + "as PostgreSQL does).")
    String source;

    @Mixin
    SelectionOptions selection;

    @Option(names = "--dry-run", description = "Read and check the source, say what would be done, with counts, and change nothing.")
    boolean dryRun;

    @Option(names = "--chunk-size", paramLabel = "ROWS", defaultValue = "50000",
            description = "Rows per transaction (default: ${DEFAULT-VALUE}). A resumed run keeps the chunk size it started with.")
    int chunkSize;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "" + Import.DEFAULT_PARALLEL,
            description = "Months (or chunks of months that already hold rows) written side by side (default: ${DEFAULT-VALUE}). "
                    + "While dual-write is on, chunks take turns with each other and with the sink's batches for the legacy "
                    + "table. 1 is the gentlest on a busy database.")
    int parallel;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (chunkSize < 1) {
            throw new BadInputException("--chunk-size must be at least 1");
        }
        if (parallel < 1 || parallel > 64) {
            throw new BadInputException("--parallel must be between 1 and 64");
        }
        // The models are the source's: not known to statbridge's tables yet.
        ParitySelection rows = selection.resolveDates();
        Configuration config = connection.resolve();
        DatabaseConfig configured = DatabaseConfig.from(config);
        DatabaseConfig pool = new DatabaseConfig(configured.jdbcUrl(), configured.user(), configured.password(),
                Math.max(configured.poolSize(), parallel + 1), configured.hikari());
        try (Database database = Database.open(pool, "statbridge-import")) {
            Import importer = new Import(database.dataSource(), ValidationSettings.limits(config));
            ImportSource relation;
            try {
                relation = importer.source(source);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            if (dryRun) {
                Import.Result plan = importer.dryRun(relation, rows);
                out.printf(Locale.ROOT, "import from %s, %s: %,d row(s) selected, %,d to import%s%n", plan.source(), plan.selection(),
                        plan.selected(), plan.read() - plan.skipped(), duplicates(plan));
                printUnmapped(out, plan.unmapped(), config, null);
                printRejected(out, plan);
                out.println("dry run: nothing changed");
                return ExitCodes.OK;
            }
            Map<String, Long> unmapped = importer.unmapped(relation, rows);
            if (!unmapped.isEmpty()) {
                printUnmapped(out, unmapped, config, database);
            }
            out.printf(Locale.ROOT, "import from %s, %s: reading and checking the source rows...%n", relation, rows);
            out.flush();
            ProgressReporter progress = new ProgressReporter(spec.commandLine().getErr(), ProgressReporter.isTerminal());
            long started = System.nanoTime();
            Import.Result result = importer.run(relation, rows, chunkSize, parallel, staged -> {
                out.printf(Locale.ROOT, "run %d: %,d row(s) %s%n", staged.runId(), staged.rows(),
                        staged.earlier() ? "staged by the interrupted run, carrying on" : "staged");
                out.flush();
            }, progress);
            progress.done();
            double seconds = Math.max((System.nanoTime() - started) / 1e9, 0.001);
            out.printf(Locale.ROOT, "%s: imported %,d row(s), wrote %,d, skipped %,d unmapped, rejected %,d%s, in %s (%,.0f rows/s)%s%n",
                    result.resumed() ? "resumed and finished" : "finished", result.read() - result.skipped(), result.written(),
                    result.skipped(), result.rejectedRows(), duplicates(result),
                    ProgressReporter.format(Duration.ofMillis((long) (seconds * 1000))), result.selected() / seconds,
                    result.written() == 0 ? "; nothing needed changing" : "");
            printRejected(out, result);
            return ExitCodes.OK;
        }
    }

    private static String duplicates(Import.Result result) {
        return result.duplicates() == 0 ? "" : String.format(Locale.ROOT, " (%,d identical duplicate row(s) counted once)",
                result.duplicates());
    }

    /** Lists the names the catalog lacks and, under INFER with {@code database} (a real run), adds their inferred entries. */
    private static void printUnmapped(PrintWriter out, Map<String, Long> unmapped, Configuration config, Database database)
            throws Exception {
        if (unmapped.isEmpty()) {
            return;
        }
        UnmappedPolicy policy = config.getEnum(PipelineSettings.UNMAPPED_POLICY, UnmappedPolicy.class);
        out.println("legacy names not in the catalog (policy " + policy + "):");
        unmapped.forEach((name, count) -> out.printf(Locale.ROOT, "  %-40s %,d row(s)%n", name, count));
        if (policy == UnmappedPolicy.INFER && database != null) {
            InferredEntries.add(config, database, unmapped, out);
        } else if (policy == UnmappedPolicy.INFER) {
            out.println("  (a real run infers their entries and adds them to the catalog first)");
        } else {
            out.println("  (skipped: add them with 'statbridge catalog add', then run again)");
        }
    }

    private static void printRejected(PrintWriter out, Import.Result result) {
        if (result.rejected().isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "%,d row(s) rejected, not imported:%n", result.rejectedRows());
        result.rejected().forEach((reason, count) -> out.printf(Locale.ROOT, "  %-40s %,d row(s)%n", reason, count));
        out.println("  first ones (model/version/date/slice/metric_name):");
        result.examples().forEach(r -> out.printf(Locale.ROOT, "    %s: %s (%s)%n", r.key(), r.message(), r.reason()));
        if (result.dryRun()) {
            out.println("  (a real run keeps every one in ml_monitoring.import_rejected)");
        } else {
            out.printf(Locale.ROOT, "  all of them: SELECT * FROM ml_monitoring.import_rejected WHERE run_id = %d%n", result.runId());
        }
    }
}
