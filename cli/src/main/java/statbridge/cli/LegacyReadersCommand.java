package statbridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.Configuration;
import statbridge.config.Durations;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.lifecycle.SqlLayout;

@Command(name = "readers", mixinStandardHelpOptions = true,
        description = "Lists every distinct query that read the legacy shape, by role, with calls, rows, first and last seen "
                + "(statbridge's own role is not a reader). Takes a sample from pg_stat_statements first.")
final class LegacyReadersCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Option(names = "--since", paramLabel = "DURATION", defaultValue = "30d", converter = LegacyCommand.DurationConverter.class,
            description = "Only queries last seen within this long (e.g. 7d, 12h; default: ${DEFAULT-VALUE}).")
    Duration since;

    @Option(names = "--rewrites", description = "Also show each query's rewrite on the new tables, checked on the current data.")
    boolean rewrites;

    @Option(names = "--json", description = "Print them as JSON (with the rewrites).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Configuration config = connection.resolve();
        try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-legacy")) {
            LegacyLifecycle lifecycle = LegacyCommand.lifecycle(database, config);
            LegacyCommand.sample(lifecycle, spec.commandLine().getErr());
            LegacyReaders.Sampling sampling = lifecycle.readers().sampling();
            List<LegacyReaders.Reader> seen = lifecycle.readers().seenSince(Instant.now().minus(since));
            List<LegacyLifecycle.ReaderQuery> queries = rewrites || json ? lifecycle.rewrites(seen) : List.of();
            if (json) {
                List<Map<String, Object>> list = new ArrayList<>();
                for (LegacyLifecycle.ReaderQuery query : queries) {
                    Map<String, Object> item = new LinkedHashMap<>();
                    LegacyReaders.Reader reader = query.reader();
                    item.put("role", reader.role());
                    item.put("query", reader.query());
                    item.put("calls", reader.calls());
                    item.put("rows", reader.rows());
                    item.put("first_seen", reader.firstSeen().toString());
                    item.put("last_seen", reader.lastSeen().toString());
                    item.put("rewrite", query.offered() ? query.rewrite().rewritten() : null);
                    item.put("rewrite_check", query.offered() ? query.check().toString() : null);
                    item.put("not_rewritten_because", query.refusal());
                    item.put("metrics", query.rewrite().metrics());
                    list.add(item);
                }
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("since", Instant.now().minus(since).toString());
                document.put("recorded_since", sampling.since() == null ? null : sampling.since().toString());
                document.put("last_sample", sampling.sampledAt() == null ? null : sampling.sampledAt().toString());
                document.put("sampling_problem", sampling.working() ? null : sampling.problem());
                document.put("readers", list);
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document));
                return ExitCodes.OK;
            }
            out.println("readers of the legacy shape in the last " + Durations.format(since) + " (recorded since "
                    + (sampling.since() == null ? "never" : sampling.since()) + ", last sample "
                    + (sampling.sampledAt() == null ? "never" : sampling.sampledAt()) + "):");
            if (seen.isEmpty()) {
                out.println("  none");
            }
            String role = null;
            for (int i = 0; i < seen.size(); i++) {
                LegacyReaders.Reader reader = seen.get(i);
                if (!reader.role().equals(role)) {
                    role = reader.role();
                    out.println("role " + role + ":");
                }
                out.printf(Locale.ROOT, "  %,d call(s), %,d row(s), first %s, last %s%n", reader.calls(), reader.rows(),
                        reader.firstSeen(), reader.lastSeen());
                out.println("    " + LegacyCommand.oneLine(reader.query()));
                if (rewrites) {
                    LegacyLifecycle.ReaderQuery query = queries.get(i);
                    out.println(query.offered() ? "    rewrite (" + query.check() + "):\n      "
                            + SqlLayout.lines(query.rewrite().rewritten()).replace("\n", "\n      ")
                            : "    not rewritten: " + query.refusal());
                }
            }
        }
        return ExitCodes.OK;
    }
}
