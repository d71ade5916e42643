package statbridge.sink.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Views of the users' own built directly over the legacy name. PostgreSQL binds a view to the
 * relation it reads, not to its name: when the switch renames the legacy table to its archive, such
 * a view would follow the table there and stop seeing new rows. So the switch re-points them, in
 * its transaction, at whatever answers for the legacy name: the view after switch-off, the table
 * after switch-on. Each keeps its name, columns, privileges and options ({@code CREATE OR REPLACE}).
 */
final class UserViews {

    static final String OVER = """
            SELECT DISTINCT c.oid::regclass::text, array_to_string(c.reloptions, ', ')
            FROM pg_depend d
            JOIN pg_rewrite r ON r.oid = d.objid
            JOIN pg_class c ON c.oid = r.ev_class
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.refobjid = to_regclass(?) AND c.oid <> d.refobjid AND c.relkind = 'v'
            ORDER BY 1
            """;

    private UserViews() {
    }

    /** The views that read {@code relation} (schema-qualified) directly, by name. */
    static List<String> over(Connection connection, String relation) throws SQLException {
        List<String> views = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(OVER)) {
            query.setString(1, relation);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    views.add(rows.getString(1));
                }
            }
        }
        return views;
    }

    /**
     * Re-points every view over {@code from} at {@code to} (both in {@code ml_monitoring}, with the
     * same columns), in the caller's transaction; returns the views re-pointed.
     */
    static List<String> repoint(Connection connection, String from, String to) throws SQLException {
        List<String[]> views = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(OVER)) {
            query.setString(1, "ml_monitoring." + from);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    views.add(new String[] {rows.getString(1), rows.getString(2)});
                }
            }
        }
        if (views.isEmpty()) {
            return List.of();
        }
        List<String> repointed = new ArrayList<>();
        Pattern name = Pattern.compile("\\bml_monitoring\\." + Pattern.quote(from) + "\\b");
        try (Statement statement = connection.createStatement()) {
            // every name qualified in the definitions read back, so only this relation's is replaced
            statement.execute("SET LOCAL search_path = pg_catalog");
            for (String[] view : views) {
                String definition;
                try (PreparedStatement read = connection.prepareStatement("SELECT pg_get_viewdef(?::regclass, false)")) {
                    read.setString(1, view[0]);
                    try (ResultSet rows = read.executeQuery()) {
                        rows.next();
                        definition = rows.getString(1);
                    }
                }
                Matcher matcher = name.matcher(definition);
                if (!matcher.find()) {
                    continue;
                }
                String options = view[1] == null || view[1].isEmpty() ? "" : " WITH (" + view[1] + ")";
                statement.execute("CREATE OR REPLACE VIEW " + view[0] + options + " AS "
                        + matcher.replaceAll(Matcher.quoteReplacement("ml_monitoring." + to)));
                repointed.add(view[0]);
            }
            statement.execute("SET LOCAL search_path = DEFAULT");
        }
        return repointed;
    }
}
