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
import statbridge.catalog.UnmappedPolicy;
import statbridge.config.Configuration;
import statbridge.pipeline.PipelineSettings;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Backfill;

/** {@code statbridge backfill}: copies history between the two shapes. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = {
            "Copies history between the table shapes: legacy-to-new (the rows that predate the pipeline) or new-to-legacy "
                    + "(a rebuild of the legacy table). Non-destructive (never deletes), idempotent (a second run changes "
                    + "nothing), never overwrites a row the sink wrote, and resumable: interrupted at any moment, run it again "
                    + "with the same flags and it continues from its last checkpoint. Months are copied side by side (--parallel).",
            "Legacy names the catalog lacks follow pipeline.unmapped.policy: INFER adds the inferred entries to the catalog "
                    + "(topic and table) first; DLQ skips those rows and reports them."
        })
final class BackfillCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    SelectionOptions selection;

    @Option(names = "--direction", required = true, paramLabel = "DIRECTION", description = "legacy-to-new or new-to-legacy.")
    String direction;

    @Option(names = "--dry-run", description = "Say what would be done, with counts, and change nothing.")
    boolean dryRun;

    @Option(names = "--chunk-size", paramLabel = "ROWS", defaultValue = "50000",
            description = "Rows per transaction (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "" + Backfill.DEFAULT_PARALLEL,
            description = "Months copied side by side, each in its own transactions (default: ${DEFAULT-VALUE}). "
                    + "1 is the gentlest on a busy database.")
    int parallel;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Backfill.Direction way;
        try {
            way = Backfill.Direction.parse(direction);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        if (chunkSize < 1) {
            throw new BadInputException("--chunk-size must be at least 1");
        }
        if (parallel < 1 || parallel > 64) {
            throw new BadInputException("--parallel must be between 1 and 64");
        }
        Configuration config = connection.resolve();
        DatabaseConfig configured = DatabaseConfig.from(config);
        DatabaseConfig pool = new DatabaseConfig(configured.jdbcUrl(), configured.user(), configured.password(),
                Math.max(configured.poolSize(), parallel + 1), configured.hikari());
        try (Database database = Database.open(pool, "statbridge-backfill")) {
            ParitySelection rows = selection.resolve(database.dataSource());
            Backfill backfill = new Backfill(database.dataSource());
            Backfill.Result plan = backfill.run(way, rows, chunkSize, true, p -> { });
            out.printf(Locale.ROOT, "backfill %s, %s: %,d row(s) to read%n", way.label(), plan.selection(), plan.total());
            if (!plan.unmapped().isEmpty()) {
                UnmappedPolicy policy = config.getEnum(PipelineSettings.UNMAPPED_POLICY, UnmappedPolicy.class);
                out.println("legacy names not in the catalog (policy " + policy + "):");
                plan.unmapped().forEach((name, count) -> out.printf(Locale.ROOT, "  %-40s %,d row(s)%n", name, count));
                if (policy == UnmappedPolicy.INFER && !dryRun) {
                    InferredEntries.add(config, database, plan.unmapped(), out);
                } else if (policy == UnmappedPolicy.INFER) {
                    out.println("  (a real run infers their entries and adds them to the catalog first)");
                } else {
                    out.println("  (skipped: add them with 'statbridge catalog add', then run again)");
                }
            }
            if (dryRun) {
                out.println("dry run: nothing changed");
                return ExitCodes.OK;
            }
            ProgressReporter progress = new ProgressReporter(spec.commandLine().getErr(), ProgressReporter.isTerminal());
            long started = System.nanoTime();
            Backfill.Result result = backfill.run(way, rows, chunkSize, parallel, false, progress);
            progress.done();
            double seconds = Math.max((System.nanoTime() - started) / 1e9, 0.001);
            out.printf(Locale.ROOT, "%s: read %,d row(s), wrote %,d, skipped %,d unmapped, in %s (%,.0f rows/s)%s%n",
                    result.resumed() ? "resumed and finished" : "finished", result.read(), result.written(), result.skipped(),
                    ProgressReporter.format(Duration.ofMillis((long) (seconds * 1000))), result.read() / seconds,
                    result.written() == 0 ? "; nothing needed changing" : "");
        }
        return ExitCodes.OK;
    }
}
