package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import statbridge.sink.dualwrite.ParitySelection;

/**
 * The one owner of an import run's stage table ({@code import_stage_<id>}, a name made from the
 * run's number): the run's checked copy of its source rows, written in one statement, with the
 * verdict of each row, and what it holds ({@link Plan}).
 */
final class ImportStage {

    /** Whether the run's stage table is there and whole (an unlogged table is emptied by a database crash). */
    static boolean stageIntact(Connection connection, ImportRun run) throws SQLException {
        if (run.stagedRows() < 0) {
            return false;
        }
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, run.stage());
            try (ResultSet rows = exists.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    return false;
                }
            }
        }
        try (Statement count = connection.createStatement(); ResultSet rows = count.executeQuery("SELECT count(*) FROM " + run.stage())) {
            rows.next();
            return rows.getLong(1) == run.stagedRows();
        }
    }

    /**
     * Writes the checked rows of {@code checked} (see {@link ImportSource#checked}) into the
     * temporary table {@code table} (a dry run), and, unless the source holds its key unique, marks
     * the rows of a key it holds more than once ({@link ImportSource#DUPLICATES}). In the caller's
     * transaction.
     */
    static void stageInto(Connection connection, String table, ImportSource source, String checked, ParitySelection selection)
            throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + table);
            // The hash aggregate that finds duplicate keys, and the casts, run in memory rather than in batches on disk.
            ddl.execute("SELECT set_config('work_mem', '128MB', true)");
        }
        try (PreparedStatement create = connection.prepareStatement("CREATE TEMPORARY TABLE " + table + " AS " + checked)) {
            selection.bind(connection, create, 1);
            create.execute();
        }
        if (!source.keyed()) {
            try (Statement ddl = connection.createStatement()) {
                ddl.executeUpdate(ImportSource.DUPLICATES.formatted(table));
            }
        }
    }

    /** A run as staged, and what its stage holds. */
    record Staged(ImportRun run, Plan plan) {
    }

    /**
     * Stages the run in one transaction: its checked rows written by one statement into its stage
     * table (the source read by a parallel scan where PostgreSQL can; no sort, no numbering: a chunk
     * is a range of the stage's blocks), the copies of a key told apart when the source does not
     * hold its key unique ({@link ImportSource#DUPLICATES}), the refused rows recorded in
     * {@code import_rejected}, and the stage indexed by date and counted ({@link Plan}). Everything
     * that reads the stage here runs in the transaction that wrote it, where its rows' visibility
     * costs nothing to check. The run is staged when its row count is recorded; a run killed before
     * that commits stages again.
     */
    static Staged stage(Connection connection, ImportRun run, ImportSource source, String checked, ParitySelection selection)
            throws SQLException {
        long staged;
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + run.stage());
            // The hash aggregates (duplicate keys, the counts) run in memory rather than in batches on disk.
            ddl.execute("SELECT set_config('work_mem', '128MB', true)");
        }
        try (PreparedStatement create = connection.prepareStatement("CREATE UNLOGGED TABLE " + run.stage() + " AS " + checked)) {
            selection.bind(connection, create, 1);
            staged = create.executeUpdate();
        }
        ImportRejections.forget(connection, run);
        ImportRuns.forgetChunks(connection, run);
        try (Statement ddl = connection.createStatement()) {
            if (!source.keyed()) {
                ddl.executeUpdate(ImportSource.DUPLICATES.formatted(run.stage()));
            }
            // The months brought in whole read their rows by date.
            ddl.execute("CREATE INDEX ON " + run.stage() + " (stat_date)");
            ddl.execute("ANALYZE " + run.stage());
        }
        ImportRejections.record(connection, run);
        Plan plan = plan(connection, run);
        long blocks;
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery(
                "SELECT pg_relation_size('" + run.stage() + "') / current_setting('block_size')::int")) {
            rows.next();
            blocks = rows.getLong(1);
        }
        ImportRuns.staged(connection, run, staged, blocks);
        return new Staged(new ImportRun(run.id(), run.chunkSize(), staged, blocks, run.resumed()), plan);
    }

    /** Rows of the stage by verdict: null (to bring in), and each reason. */
    static Map<String, Long> verdicts(Connection connection, String stage) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Statement query = connection.createStatement();
                ResultSet rows = query.executeQuery("SELECT reason, count(*) FROM " + stage + " GROUP BY reason ORDER BY reason")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
        }
        return counts;
    }

    /**
     * What a staged run holds, from one scan of its stage: rows by verdict (null for the rows to
     * bring in, or the reason), the rows to bring in by month (with those whose name the catalog
     * lacks), and the names the catalog lacks with their row counts.
     */
    record Plan(Map<String, Long> verdicts, Map<YearMonth, ImportRun.Counts> months, Map<String, Long> unmapped) {

    }

    /** Counts the rows of a relation or CTE ({@code %1$s}) of the stage's columns as {@link #plan} reads them. */
    static final String PLAN = """
            SELECT reason, CASE WHEN reason IS NULL THEN stat_date END, CASE WHEN reason IS NULL THEN metric_name END, count(*)
            FROM %1$s GROUP BY 1, 2, 3
            """;

    /** What the run's stage holds, from one scan of it. */
    static Plan plan(Connection connection, ImportRun run) throws SQLException {
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery(PLAN.formatted(run.stage()))) {
            return plan(connection, rows);
        }
    }

    /**
     * Reads the counts of {@link #PLAN} (grouped by date and name, a few thousand groups), finding
     * the months and the names the catalog lacks here rather than joining every row.
     */
    private static Plan plan(Connection connection, ResultSet rows) throws SQLException {
        List<Object[]> groups = new ArrayList<>();
        while (rows.next()) {
            groups.add(new Object[] {rows.getString(1), rows.getObject(2, LocalDate.class), rows.getString(3), rows.getLong(4)});
        }
        Set<String> catalogued = new HashSet<>();
        try (Statement query = connection.createStatement();
                ResultSet names = query.executeQuery("SELECT metric_name FROM ml_monitoring.metric_catalog")) {
            while (names.next()) {
                catalogued.add(names.getString(1));
            }
        }
        Map<String, Long> verdicts = new TreeMap<>(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
        Map<YearMonth, ImportRun.Counts> months = new TreeMap<>();
        Map<String, Long> unmapped = new TreeMap<>();
        for (Object[] group : groups) {
            String reason = (String) group[0];
            long count = (Long) group[3];
            verdicts.merge(reason, count, Long::sum);
            if (reason == null) {
                String name = (String) group[2];
                long skipped = catalogued.contains(name) ? 0 : count;
                months.merge(YearMonth.from((LocalDate) group[1]), new ImportRun.Counts(count, 0, skipped), ImportRun.Counts::plus);
                if (skipped > 0) {
                    unmapped.merge(name, count, Long::sum);
                }
            }
        }
        return new Plan(verdicts, months, unmapped);
    }

    /**
     * The rows to bring in of a stage table ({@code stage}, or a placeholder for it) that
     * {@code where} picks, with the catalog's {@code metric_type} and {@code metric_key} of their
     * {@code metric_name} (null when it lacks it), as the CTE {@code chunk} that opens a statement's
     * {@code WITH} list; {@code where} is over the stage as {@code k}.
     */
    static String stageRows(String stage, String where) {
        return """
                WITH chunk AS (
                    SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, k.metric_name, k.metric_value,
                           k.business_metric_value, c.metric_type, c.metric_key
                    FROM %s k
                    LEFT JOIN ml_monitoring.metric_catalog c ON c.metric_name = k.metric_name
                    WHERE %s AND k.reason IS NULL)""".formatted(stage, where);
    }

    private ImportStage() {
    }
}
