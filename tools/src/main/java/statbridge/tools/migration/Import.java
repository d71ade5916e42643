package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.sql.DataSource;
import statbridge.contract.StatValidator;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Backfill.Progress;
import statbridge.tools.migration.ImportRun.Counts;

/**
 * Brings a team's existing legacy-shaped history ({@link ImportSource}) into statbridge: the new
 * tables and, while dual-write is on, the legacy table, in one pass, with the monthly partitions
 * it needs.
 *
 * <p>The source is read once: its selected rows are checked by the contract's rules and copied
 * into the run's stage table, the refused ones recorded with their keys ({@code import_rejected}).
 * A month statbridge holds nothing of (none of its partitions exists; the usual case for a team's
 * history) is then brought in whole by {@link MonthLoader}: built apart and attached as the month's
 * partitions, committed with its entry in {@code import_months}. The other months' rows are written
 * into the live tables in chunks (ranges of the stage's blocks), each in one transaction with its entry in
 * {@code import_chunks}. Months and chunks are taken by several workers; a run killed at any moment
 * resumes with what it had not committed, and a second run changes nothing. Rows are written as the
 * backfill writes history (event time {@code -infinity}, offset -1), so a row the sink wrote is never
 * changed and a KPI the sink withdrew stays withdrawn; in a chunk, legacy rows are rebuilt from the
 * new tables for the chunk's keys, so the two shapes agree whatever the sink did first. While
 * dual-write is on each chunk excludes the sink's batches until it commits (as
 * {@code backfill --direction new-to-legacy} does); while it is off only the new tables are written,
 * stamped with a write sequence number, so switching back on rebuilds their legacy rows.
 */
public final class Import {

    /** Workers when none are asked for. */
    public static final int DEFAULT_PARALLEL = 2;
    /** Refused rows a result carries as examples. */
    static final int EXAMPLES = 10;

    /**
     * What an import did or, for a dry run, would do.
     *
     * @param selected source rows the selection picks
     * @param read rows brought in (valid, one per key)
     * @param written rows inserted or changed in the new tables and the legacy table
     * @param skipped rows whose metric_name the catalog lacks (not brought in)
     * @param duplicates identical copies of a row, brought in once
     * @param rejected refused rows by reason
     * @param examples the first refused rows, in key order
     * @param unmapped names the catalog lacks, with their row counts
     * @param runId the run (its refused rows are in {@code import_rejected} under this id), or 0 for a dry run
     */
    public record Result(String source, String selection, long selected, long read, long written, long skipped, long duplicates,
            Map<String, Long> rejected, List<RejectedRow> examples, Map<String, Long> unmapped, long runId, boolean resumed,
            boolean dryRun) {

        public long rejectedRows() {
            return rejected.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * A run's source rows staged: its number, the rows in its stage table, and whether they were
     * staged by an earlier, interrupted invocation.
     */
    public record Staged(long runId, long rows, boolean earlier) {
    }

    private final DataSource dataSource;
    private final StatValidator.Limits limits;
    private volatile Consumer<YearMonth> beforeAttach = month -> { };
    private volatile long monthRowsInMemory = -1;

    public Import(DataSource dataSource, StatValidator.Limits limits) {
        this.dataSource = dataSource;
        this.limits = limits;
    }

    /** Calls {@code hook} between a month's build and its attach, for tests that make the sink write meanwhile. */
    void beforeAttach(Consumer<YearMonth> hook) {
        this.beforeAttach = hook;
    }

    /**
     * Sets the most rows a month brought in whole may have to be sorted in this process (see
     * {@link MonthCopy}), for tests of the larger months' way; by default what a quarter of the heap holds.
     */
    void monthRowsInMemory(long rows) {
        this.monthRowsInMemory = rows;
    }

    /**
     * Checks a source name (see {@link ImportSource#resolve}).
     *
     * @throws IllegalArgumentException with the reason it cannot be imported
     */
    public ImportSource source(String name) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                return ImportSource.resolve(connection, name);
            } finally {
                connection.rollback();
            }
        }
    }

    /** Legacy names among the selected source rows that the catalog lacks, with their row counts (one cheap pass). */
    public Map<String, Long> unmapped(ImportSource source, ParitySelection selection) throws SQLException {
        return BackfillSource.unmapped(dataSource, source.quoted(), selection);
    }

    /** What a run would do: the source read and checked once, into a temporary table, and nothing changed. */
    public Result dryRun(ImportSource source, ParitySelection selection) throws SQLException {
        Map<String, Long> verdicts = new LinkedHashMap<>();
        List<RejectedRow> examples = new ArrayList<>();
        String table = "pg_temp.import_dry_run";
        try (Connection connection = dataSource.getConnection()) {
            try {
                ImportStage.stageInto(connection, table, source, source.checked(selection.where(), limits), selection);
                verdicts.putAll(ImportStage.verdicts(connection, table));
                examples.addAll(ImportRejections.rejectedExamples(connection, table, EXAMPLES));
            } finally {
                connection.rollback();
            }
        }
        Map<String, Long> unmapped = unmapped(source, selection);
        long selected = verdicts.values().stream().mapToLong(Long::longValue).sum();
        long unmappedRows = unmapped.values().stream().mapToLong(Long::longValue).sum();
        return new Result(source.toString(), selection.toString(), selected, verdicts.getOrDefault(null, 0L), 0, unmappedRows,
                verdicts.getOrDefault(ImportSource.IDENTICAL_DUPLICATE, 0L), rejected(verdicts), examples, unmapped, 0, false, true);
    }

    private static Map<String, Long> rejected(Map<String, Long> verdicts) {
        Map<String, Long> rejected = new LinkedHashMap<>();
        for (String reason : List.of(ImportSource.INVALID_FIELD, ImportSource.CONFLICTING_DUPLICATE)) {
            if (verdicts.containsKey(reason)) {
                rejected.put(reason, verdicts.get(reason));
            }
        }
        return rejected;
    }

    /**
     * Runs the import of the rows {@code selection} picks from {@code source}, resuming its
     * unfinished run if there is one (with that run's chunk size).
     *
     * @param stage called once the source rows are staged (before the first chunk)
     * @param progress called after every chunk with the totals so far (from one worker at a time)
     * @throws IllegalStateException when another import works on the same run
     */
    public Result run(ImportSource source, ParitySelection selection, int chunkSize, int parallel, Consumer<Staged> stage,
            Consumer<Progress> progress) throws SQLException {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be at least 1");
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1");
        }
        try (Connection owner = dataSource.getConnection()) {
            ImportRun run = ImportRuns.open(owner, source.toString(), selection, chunkSize);
            owner.commit();
            if (!ImportRuns.tryLock(owner, run)) {
                owner.rollback();
                throw new IllegalStateException("another 'statbridge import' of " + source + " (" + selection
                        + ") is under way (run " + run.id() + "); wait for it to finish, or stop it first");
            }
            try {
                return runLocked(owner, run, source, selection, parallel, stage, progress);
            } finally {
                try {
                    owner.rollback();
                    ImportRuns.unlock(owner, run);
                    owner.commit();
                } catch (SQLException e) {
                    // the connection is gone, and its session lock with it
                }
            }
        }
    }

    private Result runLocked(Connection owner, ImportRun opened, ImportSource source, ParitySelection selection, int parallel,
            Consumer<Staged> onStaged, Consumer<Progress> progress) throws SQLException {
        ImportRun run = opened;
        boolean earlier = true;
        ImportStage.Plan plan = null;
        try {
            if (!ImportStage.stageIntact(owner, run)) {
                earlier = false;
                owner.rollback();
                ImportStage.Staged staged = ImportStage.stage(owner, run, source, source.checked(selection.where(), limits), selection);
                run = staged.run();
                plan = staged.plan();
            }
            owner.commit();
        } catch (SQLException | RuntimeException e) {
            owner.rollback();
            throw e;
        }
        onStaged.accept(new Staged(run.id(), run.stagedRows(), earlier));
        if (plan == null) {
            plan = ImportStage.plan(owner, run);
        }
        Map<String, Long> verdicts = plan.verdicts();
        Map<String, Long> unmapped = plan.unmapped();
        Map<Integer, Counts> done = ImportRuns.doneChunks(owner, run);
        Map<YearMonth, Counts> doneMonths = ImportRuns.doneMonths(owner, run);
        List<YearMonth> months = List.copyOf(plan.months().keySet());
        boolean dualWrite = DualWriteState.isOn(owner);
        List<YearMonth> vacant = new ArrayList<>();
        for (YearMonth month : months) {
            if (!doneMonths.containsKey(month) && MonthLoader.vacant(owner, month, dualWrite)) {
                vacant.add(month);
            }
        }
        owner.commit();
        long valid = verdicts.getOrDefault(null, 0L);
        Tally totals = new Tally(valid, progress);
        done.values().forEach(c -> totals.resumed(c.read(), c.written(), c.skipped()));
        doneMonths.values().forEach(c -> totals.resumed(c.read(), c.written(), c.skipped()));
        ImportRun staged = run;
        ImportStage.Plan planned = plan;
        String lineage = "import:" + source;
        // Months statbridge holds nothing of are brought in whole, as partitions of their own.
        Set<YearMonth> attached = ConcurrentHashMap.newKeySet();
        attached.addAll(doneMonths.keySet());
        MonthLoader loader = new MonthLoader(dataSource, beforeAttach,
                monthRowsInMemory >= 0 ? monthRowsInMemory : MonthCopy.rowsThatFit(Runtime.getRuntime().maxMemory(), parallel));
        Workers.run("import", vacant, parallel, (month, stopped) -> {
            Counts counts = loader.load(staged, month, planned.months().get(month), lineage);
            if (counts != null) {
                attached.add(month);
                totals.committed(counts.read(), counts.written(), counts.skipped());
            }
        });
        // The other months' rows go in chunks into the live tables.
        List<LocalDate> rest = months.stream().filter(m -> !attached.contains(m)).map(m -> m.atDay(1)).toList();
        if (!rest.isEmpty()) {
            new Partitions(dataSource).ensureFor(rest);
            String[] skip = attached.stream().sorted().map(m -> m.atDay(1).toString()).toArray(String[]::new);
            ImportChunks chunks = new ImportChunks(dataSource, staged, skip, lineage);
            Workers.run("import", ImportRuns.pending(staged, done.keySet()), parallel,
                    (chunk, stopped) -> {
                        Counts counts = chunks.write(chunk);
                        totals.committed(counts.read(), counts.written(), counts.skipped());
                    });
        }
        List<RejectedRow> examples;
        Map<String, Long> rejected;
        try {
            ImportRuns.finish(owner, staged);
            rejected = ImportRejections.rejectedByReason(owner, staged.id());
            examples = ImportRejections.rejectedExamples(owner, staged.id(), EXAMPLES);
            owner.commit();
        } catch (SQLException | RuntimeException e) {
            owner.rollback();
            throw e;
        }
        long selected = verdicts.values().stream().mapToLong(Long::longValue).sum();
        return new Result(source.toString(), selection.toString(), selected, totals.read(), totals.written(), totals.skipped(),
                verdicts.getOrDefault(ImportSource.IDENTICAL_DUPLICATE, 0L), rejected, examples, unmapped, staged.id(),
                opened.resumed(), false);
    }
}
