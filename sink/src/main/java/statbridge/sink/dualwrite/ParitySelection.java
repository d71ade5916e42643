package statbridge.sink.dualwrite;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Which rows a parity check (or a migration tool) looks at; empty lists and null dates select everything.
 *
 * @param from first stat_date, inclusive
 * @param to last stat_date, inclusive
 */
public record ParitySelection(List<String> models, List<String> versions, LocalDate from, LocalDate to) {

    public ParitySelection {
        models = models == null ? List.of() : List.copyOf(models);
        versions = versions == null ? List.of() : List.copyOf(versions);
    }

    public static ParitySelection all() {
        return new ParitySelection(List.of(), List.of(), null, null);
    }

    /** An SQL condition over the identity columns; its parameters come from {@link #parameters()}. */
    public String where() {
        return where("");
    }

    /** The same condition over columns qualified by {@code alias} (e.g. {@code "l"}). */
    public String where(String alias) {
        String p = alias.isEmpty() ? "" : alias + ".";
        return "(cardinality(?::text[]) = 0 OR " + p + "model_name = ANY(?::text[]))"
                + " AND (cardinality(?::text[]) = 0 OR " + p + "model_version = ANY(?::text[]))"
                + " AND (?::date IS NULL OR " + p + "stat_date >= ?::date) AND (?::date IS NULL OR " + p + "stat_date <= ?::date)";
    }

    /** Binds the parameters of one {@link #where} from {@code index}; returns the next free index. */
    public int bind(java.sql.Connection connection, java.sql.PreparedStatement statement, int index) throws java.sql.SQLException {
        int i = index;
        for (Object value : parameters()) {
            if (value instanceof String[] array) {
                statement.setArray(i++, connection.createArrayOf("text", array));
            } else if (value == null) {
                statement.setNull(i++, java.sql.Types.DATE);
            } else {
                statement.setObject(i++, value);
            }
        }
        return i;
    }

    /** The values for the placeholders of {@link #where()}, in order (lists as String arrays). */
    public List<Object> parameters() {
        String[] m = models.toArray(String[]::new);
        String[] v = versions.toArray(String[]::new);
        List<Object> parameters = new ArrayList<>();
        parameters.add(m);
        parameters.add(m);
        parameters.add(v);
        parameters.add(v);
        parameters.add(from);
        parameters.add(from);
        parameters.add(to);
        parameters.add(to);
        return parameters;
    }

    @Override
    public String toString() {
        if (models.isEmpty() && versions.isEmpty() && from == null && to == null) {
            return "all rows";
        }
        List<String> parts = new ArrayList<>();
        if (!models.isEmpty()) {
            parts.add("models " + String.join(",", models));
        }
        if (!versions.isEmpty()) {
            parts.add("versions " + String.join(",", versions));
        }
        if (from != null || to != null) {
            parts.add("dates " + (from == null ? "…" : from) + ".." + (to == null ? "…" : to));
        }
        return String.join("; ", parts);
    }
}
