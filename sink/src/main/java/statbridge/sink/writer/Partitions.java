package statbridge.sink.writer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Makes sure the monthly partitions of the stat tables exist before rows for a month are written,
 * in a short transaction of its own. Remembers the months it has seen to stay off the hot path.
 */
public final class Partitions {

    private static final String ENSURE = "SELECT ml_monitoring.ensure_month_partitions(?, ?)";

    private final DataSource dataSource;
    private final Set<YearMonth> known = ConcurrentHashMap.newKeySet();

    public Partitions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Ensures every month from {@code first} to {@code last}. */
    public void ensureRange(YearMonth first, YearMonth last) throws SQLException {
        TreeSet<YearMonth> months = new TreeSet<>();
        for (YearMonth m = first; !m.isAfter(last); m = m.plusMonths(1)) {
            months.add(m);
        }
        ensure(months);
    }

    /** Ensures the months of these dates. */
    public void ensureFor(Collection<LocalDate> dates) throws SQLException {
        TreeSet<YearMonth> missing = new TreeSet<>();
        for (LocalDate date : dates) {
            YearMonth month = YearMonth.from(date);
            if (!known.contains(month)) {
                missing.add(month);
            }
        }
        if (!missing.isEmpty()) {
            ensure(missing);
        }
    }

    /** Forgets what it knows, e.g. after partitions were dropped. */
    public void forget() {
        known.clear();
    }

    private void ensure(TreeSet<YearMonth> months) throws SQLException {
        SQLException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                try (PreparedStatement ensure = connection.prepareStatement(ENSURE)) {
                    ensure.setObject(1, months.first().atDay(1));
                    ensure.setObject(2, months.last().atDay(1));
                    ensure.execute();
                    connection.commit();
                    known.addAll(months);
                    return;
                } catch (SQLException e) {
                    // Two instances creating the same partition at once: the loser retries and finds it there.
                    connection.rollback();
                    last = e;
                }
            }
        }
        throw last;
    }
}
