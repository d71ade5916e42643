package statbridge.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import picocli.CommandLine.Option;
import statbridge.sink.dualwrite.ParitySelection;

/** Which rows a migration tool works on: {@code --models}, {@code --versions}, {@code --from}, {@code --to}. */
final class SelectionOptions {

    @Option(names = "--models", split = ",", paramLabel = "NAME", description = "Only these models (comma-separated).")
    List<String> models = new ArrayList<>();

    @Option(names = "--versions", split = ",", paramLabel = "VERSION", description = "Only these model versions (comma-separated).")
    List<String> versions = new ArrayList<>();

    @Option(names = "--from", paramLabel = "YYYY-MM-DD", description = "First stat_date, inclusive.")
    LocalDate from;

    @Option(names = "--to", paramLabel = "YYYY-MM-DD", description = "Last stat_date, inclusive.")
    LocalDate to;

    /**
     * The selection, checked: dates in order, and every named model known to one of the shapes.
     *
     * @throws BadInputException otherwise (exit 2)
     */
    ParitySelection resolve(DataSource dataSource) throws SQLException {
        resolveDates();
        List<String> unknown = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement known = connection.prepareStatement("""
                        SELECT EXISTS (SELECT 1 FROM ml_monitoring.model_stats_daily WHERE model_name = ?)
                            OR EXISTS (SELECT 1 FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = ?)
                        """)) {
            for (String model : models) {
                known.setString(1, model);
                known.setString(2, model);
                try (ResultSet rows = known.executeQuery()) {
                    rows.next();
                    if (!rows.getBoolean(1)) {
                        unknown.add(model);
                    }
                }
            }
            connection.rollback();
        }
        if (!unknown.isEmpty()) {
            throw new BadInputException("unknown model(s) " + unknown + ": no rows in model_stats_daily or model_stats_daily_legacy");
        }
        return new ParitySelection(models, versions, from, to);
    }

    /**
     * The selection with its dates checked, and nothing else: for a source whose models
     * statbridge's tables do not know yet.
     *
     * @throws BadInputException when --from is after --to (exit 2)
     */
    ParitySelection resolveDates() {
        if (from != null && to != null && from.isAfter(to)) {
            throw new BadInputException("--from " + from + " is after --to " + to);
        }
        return new ParitySelection(models, versions, from, to);
    }
}
