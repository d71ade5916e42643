package statbridge.tools.lifecycle;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.sql.DataSource;
import statbridge.catalog.CatalogEntry;
import statbridge.config.Durations;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.dualwrite.DualWriteSwitch;

/**
 * The end of a migration in one place: who still reads the legacy shape, what each of their
 * queries becomes on the new tables, and whether the legacy view may go. The legacy view is
 * retired only while dual-write is off, when the record of readers covers the whole quiet period
 * and no reader was seen in it; {@code force} overrides, and says why, in the dual-write history.
 */
public final class LegacyLifecycle {

    /** The default quiet period: no reader for this long before the legacy view may go. */
    public static final Duration DEFAULT_QUIET_PERIOD = Duration.ofDays(14);
    /** Longest a compared query may run. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    /** A reader's query with its rewrite and the check of it on the current data. */
    public record ReaderQuery(LegacyReaders.Reader reader, LegacyQueryRewriter.Rewrite rewrite, RewriteCheck.Result check) {

        /** Whether the rewrite is offered: rewritten, and not shown to return other rows. */
        public boolean offered() {
            return rewrite.done() && check.verdict() != RewriteCheck.Verdict.DIFFERENT;
        }

        /** Why there is no rewrite to offer, or null. */
        public String refusal() {
            if (!rewrite.done()) {
                return rewrite.problem();
            }
            return check.verdict() == RewriteCheck.Verdict.DIFFERENT ? "the rewrite " + check : null;
        }
    }

    /**
     * Whether retiring would pass now, and if not why.
     *
     * @param readers the readers seen within the quiet period
     * @param views the users' own views that read the legacy view (it is never dropped under them)
     */
    public record Verdict(boolean passes, List<String> reasons, List<LegacyReaders.Reader> readers, boolean on, boolean retired,
            List<String> views) {
    }

    private final DataSource dataSource;
    private final LegacyReaders readers;
    private final Clock clock;

    public LegacyLifecycle(DataSource dataSource, Clock clock) {
        this(dataSource, clock, List.of());
    }

    /** @param ownRoles other roles statbridge runs as ({@link LifecycleSettings#OWN_ROLES}) */
    public LegacyLifecycle(DataSource dataSource, Clock clock, List<String> ownRoles) {
        this.dataSource = dataSource;
        this.readers = new LegacyReaders(dataSource, ownRoles);
        this.clock = clock;
    }

    public LegacyReaders readers() {
        return readers;
    }

    /** Each query with its rewrite, checked on the current data where it has no parameters. */
    public List<ReaderQuery> rewrites(List<LegacyReaders.Reader> seen) throws SQLException {
        List<ReaderQuery> queries = new ArrayList<>();
        try (Connection connection = dataSource.getConnection()) {
            List<CatalogEntry> catalog = CatalogTable.all(connection);
            connection.rollback();
            LegacyQueryRewriter rewriter = new LegacyQueryRewriter(catalog);
            for (LegacyReaders.Reader reader : seen) {
                LegacyQueryRewriter.Rewrite rewrite = rewriter.rewrite(reader.query());
                RewriteCheck.Result check = rewrite.done()
                        ? RewriteCheck.compare(connection, rewrite, CHECK_TIMEOUT)
                        : new RewriteCheck.Result(RewriteCheck.Verdict.NOT_RUN, "no rewrite", 0);
                queries.add(new ReaderQuery(reader, rewrite, check));
            }
        }
        return queries;
    }

    /** Whether {@link #retire} would pass now, without sampling first. */
    public Verdict verdict(Duration quietPeriod) throws SQLException {
        Instant now = clock.instant();
        Instant quietSince = now.minus(quietPeriod);
        try (Connection connection = dataSource.getConnection()) {
            boolean on = DualWriteState.isOn(connection);
            boolean exists = DualWriteSwitch.legacyViewExists(connection);
            List<String> views = !on && exists ? DualWriteSwitch.viewsOverLegacy(connection) : List.of();
            LegacyReaders.Sampling sampling = LegacyReaders.sampling(connection);
            List<LegacyReaders.Reader> recent = LegacyReaders.seenSince(connection, quietSince);
            connection.rollback();
            List<String> reasons = new ArrayList<>();
            if (on) {
                reasons.add("dual-write is on: the sink still writes model_stats_daily_legacy (switch it off first: statbridge dual-write off)");
            }
            if (!sampling.working()) {
                reasons.add("readers are not being recorded" + (sampling.problem() == null ? " yet" : ": " + sampling.problem()));
            } else if (sampling.since().isAfter(quietSince)) {
                reasons.add("readers have been recorded only since " + sampling.since() + ", less than the quiet period of "
                        + Durations.format(quietPeriod));
            }
            if (!views.isEmpty()) {
                reasons.add("view(s) of yours read model_stats_daily_legacy: " + String.join(", ", views)
                        + " (point them at the new tables, or drop them, first; retire never drops them)");
            }
            if (!recent.isEmpty()) {
                TreeSet<String> roles = new TreeSet<>(recent.stream().map(LegacyReaders.Reader::role).toList());
                reasons.add(roles.size() + " role(s) read the legacy shape within the quiet period of " + Durations.format(quietPeriod)
                        + ": " + String.join(", ", roles));
            }
            return new Verdict(reasons.isEmpty() && exists, reasons, recent, on, !on && !exists, views);
        }
    }

    /** What {@link #retire} did. */
    public record Retirement(DualWriteSwitch.Retired outcome, Verdict verdict, boolean forced) {
    }

    /**
     * Samples the readers once more, then retires the legacy view if {@link #verdict} passes, or
     * when {@code force} regardless of readers (never while dual-write is on).
     *
     * @param reason why, for the dual-write history; required with {@code force}
     */
    public Retirement retire(Duration quietPeriod, boolean force, String reason, String by) throws SQLException {
        if (force && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException("forcing the retirement of the legacy view needs a reason");
        }
        readers.sample();
        Verdict verdict = verdict(quietPeriod);
        if (verdict.on()) {
            return new Retirement(DualWriteSwitch.Retired.DUAL_WRITE_ON, verdict, false);
        }
        if (verdict.retired()) {
            return new Retirement(DualWriteSwitch.Retired.ALREADY_RETIRED, verdict, false);
        }
        if (!verdict.views().isEmpty()) {
            return new Retirement(DualWriteSwitch.Retired.VIEWS_DEPEND_ON_IT, verdict, false);
        }
        if (!verdict.passes() && !force) {
            return new Retirement(null, verdict, false);
        }
        boolean forced = !verdict.passes();
        String why = reason == null || reason.isBlank() ? "" : " — " + reason;
        String record = forced ? "legacy view retired, FORCED" + why + " (" + String.join("; ", verdict.reasons()) + ")"
                : "legacy view retired: no reader of the legacy shape for " + Durations.format(quietPeriod) + why;
        return new Retirement(new DualWriteSwitch(dataSource).retireView(by, record, forced), verdict, forced);
    }
}
