package statbridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.ParityResult;
import statbridge.tools.migration.Verify;

/** {@code statbridge verify}: parity between the legacy table and the rebuild from the new tables. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compares model_stats_daily_legacy with the legacy shape rebuilt from the new tables over a selection: "
                + "counts, rows missing on either side, values that differ, with examples. Records the result (dual-write "
                + "status and the sink's parity metrics show the last one). Exit 0 when equal, 1 when not.")
final class VerifyCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Mixin
    SelectionOptions selection;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "10", description = "Example rows per kind of difference (default: ${DEFAULT-VALUE}).")
    int samples;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Database database = Database.open(DatabaseConfig.from(connection.resolve()), "statbridge-verify")) {
            long started = System.nanoTime();
            Verify.Report report = new Verify(database.dataSource()).run(selection.resolve(database.dataSource()), samples);
            double seconds = Math.max((System.nanoTime() - started) / 1e9, 0.001);
            ParityResult counts = report.counts();
            if (json) {
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("equal", counts.ok());
                document.put("selection", counts.selection());
                document.put("legacy_rows", counts.legacyRows());
                document.put("rebuilt_rows", counts.rebuiltRows());
                document.put("missing_in_legacy", counts.missingInLegacy());
                document.put("missing_in_new", counts.missingInNew());
                document.put("differing", counts.differing());
                document.put("examples", Map.of("missing_in_legacy", report.missingInLegacy(), "missing_in_new",
                        report.missingInNew(), "differing", report.differing()));
                document.put("checked_at", counts.checkedAt().toString());
                document.put("seconds", seconds);
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document));
            } else {
                out.printf(Locale.ROOT, "verify (%s):%n", counts.selection());
                out.printf(Locale.ROOT, "  legacy rows:                 %,d%n", counts.legacyRows());
                out.printf(Locale.ROOT, "  rebuilt from the new tables: %,d%n", counts.rebuiltRows());
                out.printf(Locale.ROOT, "  missing in legacy:           %,d%n", counts.missingInLegacy());
                report.missingInLegacy().forEach(r -> out.println("      " + r));
                out.printf(Locale.ROOT, "  missing in the new tables:   %,d%n", counts.missingInNew());
                report.missingInNew().forEach(r -> out.println("      " + r));
                out.printf(Locale.ROOT, "  values differing:            %,d%n", counts.differing());
                report.differing().forEach(r -> out.println("      " + r));
                out.printf(Locale.ROOT, "%s (%,.0f rows compared per second)%n", counts.ok() ? "EQUAL: both shapes hold the same facts."
                        : "DIFFERENT: fix with 'statbridge backfill' (legacy-to-new for history, new-to-legacy for a rebuild).",
                        (counts.legacyRows() + counts.rebuiltRows()) / seconds);
            }
            return counts.ok() ? ExitCodes.OK : ExitCodes.PROBLEM;
        }
    }
}
