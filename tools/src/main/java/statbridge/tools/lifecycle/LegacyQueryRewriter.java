package statbridge.tools.lifecycle;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.select.Select;
import statbridge.catalog.CatalogEntry;

/**
 * Rewrites a query on the legacy shape into the same query on the new tables, through a real SQL
 * parser (JSqlParser): {@code model_stats_daily_legacy} (or its archive, or the rebuild view)
 * becomes {@code model_stats_daily}; a {@code metric_name} predicate becomes a
 * {@code (metric_type, metric_key)} predicate through the catalog (inlined for names written in
 * the query, a catalog subquery for parameters); {@code business_metric_value} becomes a left join
 * to {@code model_business_stats_daily}; {@code metric_name} anywhere else (the select list,
 * GROUP BY, ORDER BY) joins the catalog. Everything else is kept. What it cannot rewrite with
 * certainty it refuses, with the reason; whether a rewrite returns the same rows is for
 * {@link RewriteCheck} to show on the data.
 */
public final class LegacyQueryRewriter {

    /**
     * One query's rewrite.
     *
     * @param rewritten the query on the new tables, or null when it could not be rewritten
     * @param problem why not, or null
     * @param metrics the legacy metric names the query names, for the guide's sections
     * @param parameters how many {@code $n} parameters it has (pg_stat_statements replaces constants with them)
     * @param roles what each parameter is compared with, where the query says
     */
    public record Rewrite(String original, String rewritten, String problem, Set<String> metrics, int parameters,
            Map<Integer, ParameterRole> roles) {

        public boolean done() {
            return rewritten != null;
        }
    }

    /** The longest query text rewritten (pg_stat_statements keeps whole texts, IN lists of thousands included). */
    static final int MAX_LENGTH = 100_000;
    private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");

    private final Map<String, CatalogEntry> catalog;

    public LegacyQueryRewriter(Collection<CatalogEntry> catalog) {
        Map<String, CatalogEntry> byName = new HashMap<>();
        catalog.forEach(entry -> byName.put(entry.metricName(), entry));
        this.catalog = byName;
    }

    /** The rewrite of one query, or the reason there is none. */
    public Rewrite rewrite(String sql) {
        if (sql.length() > MAX_LENGTH) {
            return new Rewrite(sql, null, "it is longer than " + MAX_LENGTH + " characters", Set.of(), 0, Map.of());
        }
        int parameters = parameters(sql);
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(sql);
        } catch (JSQLParserException | RuntimeException e) {
            return new Rewrite(sql, null, "cannot parse it: " + firstLine(e.getMessage()), Set.of(), parameters, Map.of());
        } catch (StackOverflowError e) {
            // a query nested deeper than the parser's stack: refused, like any other it cannot read
            return new Rewrite(sql, null, "it is nested too deeply to parse", Set.of(), parameters, Map.of());
        }
        if (statement == null) {
            return new Rewrite(sql, null, "it holds no statement", Set.of(), parameters, Map.of());
        }
        if (!(statement instanceof Select select)) {
            return new Rewrite(sql, null, "only a SELECT is rewritten, this is a " + statement.getClass().getSimpleName(),
                    Set.of(), parameters, Map.of());
        }
        RewriteJob job = new RewriteJob(sql, catalog);
        try {
            job.select(select, null);
        } catch (RuntimeException e) {
            job.problems.add("cannot rewrite it: " + e);
        } catch (StackOverflowError e) {
            job.problems.add("it is nested too deeply to rewrite");
        }
        if (job.problems.isEmpty() && job.occurrences == 0) {
            job.problems.add("it does not read model_stats_daily_legacy itself (a view over it? rewrite the view)");
        }
        if (!job.problems.isEmpty()) {
            return new Rewrite(sql, null, String.join("; ", job.problems), job.metrics, parameters, job.roles);
        }
        return new Rewrite(sql, select.toString(), null, job.metrics, parameters, job.roles);
    }

    /** The highest {@code $n} in the text. */
    static int parameters(String sql) {
        int highest = 0;
        Matcher parameter = PARAMETER.matcher(sql);
        while (parameter.find()) {
            highest = Math.max(highest, Integer.parseInt(parameter.group(1)));
        }
        return highest;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no reason given";
        }
        String line = message.strip().lines().findFirst().orElse(message);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
