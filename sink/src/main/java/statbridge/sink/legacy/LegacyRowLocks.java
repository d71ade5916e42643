package statbridge.sink.legacy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The advisory locks that keep legacy rows exact while several writers rebuild them, and KPIs and
 * their withdrawals apart while dual-write is off ({@link #lockForBusiness}). A legacy row
 * is rebuilt from both new tables, so the transaction that writes a stat must see the KPI of the
 * same row and the other way round: a dual-written batch locks the key buckets it carries (a
 * stat and its KPI share a key, so a bucket), and a rebuild outside the sink (backfill
 * new-to-legacy) excludes every batch for its chunk.
 */
public final class LegacyRowLocks {

    /** The first key of the legacy-row locks ("SbLg"), so that they stay apart from other advisory locks. */
    static final int LOCK_SPACE = 0x53624C67;
    /**
     * Takes the legacy-row lock of each key bucket, in the order given (ascending, so two batches
     * never wait for each other in a cycle), until the transaction ends.
     */
    static final String LOCK_ROWS = "SELECT pg_advisory_xact_lock(" + LOCK_SPACE + ", p) FROM unnest(?::int4[]) AS p";
    /** {@link #LOCK_ROWS}, each bucket exclusively or shared as told, in the order given. */
    static final String LOCK_BUSINESS_ROWS = "SELECT CASE WHEN x THEN pg_advisory_xact_lock(" + LOCK_SPACE + ", p) "
            + "ELSE pg_advisory_xact_lock_shared(" + LOCK_SPACE + ", p) END FROM unnest(?::int4[], ?::bool[]) AS u(p, x)";
    /** The second key of the lock every dual-written batch shares and a legacy rebuild takes alone. */
    static final int LEGACY_WRITERS = -1;
    /**
     * Taken shared by every batch that writes legacy rows (batches never wait for each other on it)
     * and exclusively by {@code backfill --direction new-to-legacy}, whose rebuild must not read the
     * new tables while a batch is changing them, or it would write an older legacy row over the
     * batch's newer one. Taken before the key locks, so the two kinds never wait in a cycle.
     */
    public static final String SHARE_LEGACY_WRITES = "SELECT pg_advisory_xact_lock_shared(" + LOCK_SPACE + ", "
            + LEGACY_WRITERS + ")";
    /** What a legacy rebuild outside the sink takes: see {@link #SHARE_LEGACY_WRITES}. */
    public static final String EXCLUDE_LEGACY_WRITES = "SELECT pg_advisory_xact_lock(" + LOCK_SPACE + ", " + LEGACY_WRITERS + ")";

    private LegacyRowLocks() {
    }

    /**
     * Takes, for a dual-written batch, the shared writers' lock and then the lock of each key
     * bucket in {@code buckets} (ascending), until the transaction ends.
     */
    public static void lockForBatch(Connection connection, Integer[] buckets) throws SQLException {
        if (buckets.length == 0) {
            return;
        }
        try (PreparedStatement shared = connection.prepareStatement(SHARE_LEGACY_WRITES); ResultSet ignored = shared.executeQuery()) {
            // taken once the row is read
        }
        try (PreparedStatement lock = connection.prepareStatement(LOCK_ROWS)) {
            lock.setArray(1, connection.createArrayOf("int4", buckets));
            try (ResultSet taken = lock.executeQuery()) {
                while (taken.next()) {
                    // read every row: with a fetch size, the driver runs the function only for the rows fetched
                }
            }
        }
    }

    /**
     * Takes, for a batch written while dual-write is off, the lock of each key bucket its business
     * facts fall in: exclusively where it withdraws a KPI ({@code withdrawing}), shared where it only
     * writes KPIs ({@code writing}), all in ascending order, until the transaction ends. A withdrawal
     * and a KPI of the same row then never commit unaware of each other (with dual-write on,
     * {@link #lockForBatch} does it), while batches that only write KPIs never wait for each other.
     *
     * @param withdrawing ascending buckets, none of them in {@code writing}
     * @param writing ascending buckets
     */
    public static void lockForBusiness(Connection connection, Integer[] withdrawing, Integer[] writing) throws SQLException {
        if (withdrawing.length + writing.length == 0) {
            return;
        }
        Integer[] buckets = new Integer[withdrawing.length + writing.length];
        Boolean[] exclusive = new Boolean[buckets.length];
        int w = 0;
        int s = 0;
        for (int i = 0; i < buckets.length; i++) {
            boolean takeWithdrawing = s >= writing.length || (w < withdrawing.length && withdrawing[w] < writing[s]);
            buckets[i] = takeWithdrawing ? withdrawing[w++] : writing[s++];
            exclusive[i] = takeWithdrawing;
        }
        try (PreparedStatement lock = connection.prepareStatement(LOCK_BUSINESS_ROWS)) {
            lock.setArray(1, connection.createArrayOf("int4", buckets));
            lock.setArray(2, connection.createArrayOf("bool", exclusive));
            try (ResultSet taken = lock.executeQuery()) {
                while (taken.next()) {
                    // read every row: with a fetch size, the driver runs the function only for the rows fetched
                }
            }
        }
    }

    /** Waits until no batch writes legacy rows, and keeps them out until the transaction ends. */
    public static void excludeBatches(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(EXCLUDE_LEGACY_WRITES); ResultSet ignored = lock.executeQuery()) {
            // taken once the row is read
        }
    }
}
