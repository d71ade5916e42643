package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import statbridge.contract.StatValidator;

/**
 * A legacy-shaped relation a team already has ({@code statbridge import --source}), checked before
 * anything reads it: a plain {@code SCHEMA.TABLE} name (no quotes, no other punctuation), a table,
 * view, materialized view or foreign table this role can read, with the legacy table's seven
 * columns of usable types, and not one of statbridge's own tables. Its name goes into SQL only
 * as the catalog spells it, quoted.
 *
 * <p>The rows are read once, through {@link #checked}: each row is cast to the legacy table's types
 * and judged by the contract's rules (as {@link StatValidator} judges an event). Then, unless the
 * source holds the key unique, several source rows for one legacy key are told apart
 * ({@link #DUPLICATES}): identical copies count once, copies that disagree are all refused, since
 * nothing says which one is right.
 */
public final class ImportSource {

    /** The columns a source must have: the legacy table's. */
    public static final List<String> COLUMNS = List.of("model_name", "model_version", "stat_date", "slice_key", "metric_name",
            "metric_value", "business_metric_value");
    private static final List<String> IDENTITY = List.of("model_name", "model_version", "slice_key", "metric_name");
    private static final Set<String> TEXT_COLUMNS = Set.copyOf(IDENTITY);
    private static final Set<String> NUMBER_TYPES = Set.of("int2", "int4", "int8", "float4", "float8", "numeric");
    private static final Set<String> STATBRIDGE_TABLES = Set.of("model_stats_daily", "model_business_stats_daily",
            "model_stats_daily_legacy", "model_stats_daily_legacy_archive", "model_stats_daily_legacy_rebuilt");
    private static final Pattern NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62})\\.([A-Za-z_][A-Za-z0-9_]{0,62})");

    /** Why a source row is refused, as recorded in {@code import_rejected.reason}. */
    public static final String INVALID_FIELD = "invalid-field";
    public static final String CONFLICTING_DUPLICATE = "conflicting-duplicate";
    /** Not a refusal: a copy of a row the source holds more than once, identical, brought in once. */
    static final String IDENTICAL_DUPLICATE = "identical-duplicate";

    private static final String FIND = """
            SELECT n.nspname, c.relname, c.relkind, c.relispartition, has_table_privilege(c.oid, 'SELECT')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """;
    private static final String COLUMNS_OF = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), b.typname, b.typcategory
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname = ? AND c.relname = ?)
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """;

    /** Whether a unique index without predicate or expressions has only key columns (their casts keep equality). */
    private static final String UNIQUE_KEY = """
            SELECT EXISTS (
                SELECT 1 FROM pg_index i
                WHERE i.indrelid = ?::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND (SELECT bool_and(a.attname IN ('model_name', 'model_version', 'stat_date', 'slice_key', 'metric_name'))
                       FROM unnest(i.indkey::int2[]) AS k(attnum)
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum))
            """;

    private final String schema;
    private final String table;
    private final Map<String, String> types;
    private final boolean keyed;

    private ImportSource(String schema, String table, Map<String, String> types, boolean keyed) {
        this.schema = schema;
        this.table = table;
        this.types = types;
        this.keyed = keyed;
    }

    /**
     * Finds and checks {@code name}; an unquoted name is folded to lower case, as PostgreSQL does,
     * unless a relation of exactly that spelling exists.
     *
     * @throws IllegalArgumentException with the reason, when the name or the relation cannot be imported
     */
    public static ImportSource resolve(Connection connection, String name) throws SQLException {
        Matcher parts = NAME.matcher(name == null ? "" : name);
        if (!parts.matches()) {
            throw new IllegalArgumentException("--source must be SCHEMA.TABLE, two plain identifiers (letters, digits and _), "
                    + "not '" + abbreviate(name) + "'; for another name or other column names, create a view over it and import the view");
        }
        String[] found = find(connection, parts.group(1), parts.group(2));
        if (found == null) {
            found = find(connection, parts.group(1).toLowerCase(Locale.ROOT), parts.group(2).toLowerCase(Locale.ROOT));
        }
        if (found == null) {
            throw new IllegalArgumentException("--source " + name + ": no table or view of that name in this database");
        }
        String schema = found[0];
        String table = found[1];
        if ("true".equals(found[3])) {
            throw new IllegalArgumentException("--source " + schema + "." + table + " is a partition; import its parent table");
        }
        if (schema.equals("ml_monitoring") && (STATBRIDGE_TABLES.contains(table) || table.startsWith("import_"))) {
            throw new IllegalArgumentException("--source " + schema + "." + table + " is statbridge's own; to copy the legacy "
                    + "table's history into the new tables use 'statbridge backfill --direction legacy-to-new'");
        }
        if (!"true".equals(found[4])) {
            throw new IllegalArgumentException("--source " + schema + "." + table + ": this role may not read it (no SELECT privilege)");
        }
        Map<String, String[]> columns = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(COLUMNS_OF)) {
            query.setString(1, schema);
            query.setString(2, table);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    columns.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3), rows.getString(4)});
                }
            }
        }
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String column : COLUMNS) {
            String[] type = columns.get(column);
            if (type == null) {
                missing.add(column);
                continue;
            }
            types.put(column, type[1]);
            if (TEXT_COLUMNS.contains(column) && !"S".equals(type[2])) {
                problems.add(column + " is " + type[0] + ", not a string type");
            } else if (column.equals("stat_date") && !"date".equals(type[1])) {
                problems.add("stat_date is " + type[0] + ", not date (cast it in a view: stat_date::date)");
            } else if (column.endsWith("_value") && !NUMBER_TYPES.contains(type[1])) {
                problems.add(column + " is " + type[0] + ", not a number type");
            }
        }
        if (!missing.isEmpty()) {
            problems.add(0, "lacks the column(s) " + String.join(", ", missing));
        }
        if (!problems.isEmpty()) {
            List<String> has = new ArrayList<>();
            columns.forEach((column, type) -> has.add(column + " " + type[0]));
            throw new IllegalArgumentException("--source " + schema + "." + table + " is not legacy-shaped: " + String.join("; ", problems)
                    + ". It has: " + (has.isEmpty() ? "no columns" : String.join(", ", has)) + ". A legacy-shaped source has "
                    + String.join(", ", COLUMNS) + " (strings, a date, two numbers); for other names or types, create a view "
                    + "that renames or casts them (business_metric_value may be NULL::double precision) and import the view");
        }
        boolean keyed;
        try (PreparedStatement unique = connection.prepareStatement(UNIQUE_KEY)) {
            unique.setString(1, quote(schema) + "." + quote(table));
            try (ResultSet rows = unique.executeQuery()) {
                rows.next();
                keyed = rows.getBoolean(1);
            }
        }
        return new ImportSource(schema, table, types, keyed);
    }

    private static String[] find(Connection connection, String schema, String table) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(FIND)) {
            query.setString(1, schema);
            query.setString(2, table);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? new String[] {rows.getString(1), rows.getString(2), rows.getString(3),
                        String.valueOf(rows.getBoolean(4)), String.valueOf(rows.getBoolean(5))} : null;
            }
        }
    }

    private static String abbreviate(String name) {
        return name == null ? "" : name.length() > 80 ? name.substring(0, 80) + "..." : name;
    }

    /** The name as the user would write it: {@code schema.table}. */
    @Override
    public String toString() {
        return schema + "." + table;
    }

    /** The name for SQL, each part quoted as the catalog spells it. */
    String quoted() {
        return quote(schema) + "." + quote(table);
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * Every selected source row with its verdict on its own: the seven legacy columns cast to the
     * legacy table's types, {@code reason} (null for a row to bring in, or {@link #INVALID_FIELD})
     * and {@code message}. Its placeholders are {@code where}'s. Several rows for one key are told
     * apart afterwards ({@link #DUPLICATES}), over the staged rows, and only when the source does
     * not hold its key unique already ({@link #keyed()}).
     *
     * @param where a condition over the source's columns (a selection)
     */
    String checked(String where, StatValidator.Limits limits) {
        String rules = String.join("\n", text("model_name", limits), text("model_version", limits), date(limits),
                text("slice_key", limits), text("metric_name", limits), number("metric_value", limits, true),
                number("business_metric_value", limits, false));
        return """
                SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value,
                       CASE WHEN message IS NOT NULL THEN '%5$s' END AS reason, message
                FROM (
                    SELECT s.*, CASE WHEN %7$s THEN NULL ELSE CASE
                %4$s
                           END END AS message
                    FROM (SELECT model_name::text AS model_name, model_version::text AS model_version, stat_date,
                                 slice_key::text AS slice_key, metric_name::text AS metric_name,
                                 %2$s AS metric_value, %3$s AS business_metric_value
                          FROM %1$s WHERE %6$s) s
                ) v
                """.formatted(quoted(), asDouble("metric_value"), asDouble("business_metric_value"), rules, INVALID_FIELD, where,
                plainlyValid(limits));
    }

    /**
     * A cheap condition that holds only for rows none of the rules refuses, so the rules run only on
     * the rows it cannot vouch for: each identity string begins with a printable ASCII character
     * (so it is there and not blank) and has no more bytes than the limit allows characters; one
     * scan of the four together finds no control character and no U+FFFD; the date is in range;
     * the values are present where required and finite where that is asked. The common row costs
     * one regular expression instead of eight.
     */
    private static String plainlyValid(StatValidator.Limits limits) {
        List<String> all = new ArrayList<>();
        for (String column : IDENTITY) {
            all.add("ascii(" + column + ") BETWEEN 33 AND 126 AND octet_length(" + column + ") <= " + limits.maxStringLength());
        }
        String joined = String.join(" || ", IDENTITY);
        all.add("strpos(" + joined + ", U&'\\FFFD') = 0");
        all.add("(" + joined + ") !~ '[\\x01-\\x1f\\x7f-\\x9f]'");
        all.add("stat_date BETWEEN date '" + limits.minDate() + "' AND date '" + limits.maxDate() + "'");
        all.add("metric_value IS NOT NULL");
        if (!limits.allowNonFinite()) {
            all.add("metric_value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)");
            all.add("(business_metric_value IS NULL OR business_metric_value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8))");
        }
        return String.join("\n                         AND ", all);
    }

    /**
     * Marks, in a stage table ({@code %1$s}), the rows of a key the
     * source holds more than once: when the copies agree, every one but the first is an
     * {@link #IDENTICAL_DUPLICATE} (the row is brought in once); when they disagree, every one is a
     * {@link #CONFLICTING_DUPLICATE}, since nothing says which is right. A copy refused already
     * keeps its own reason. One hash aggregate over the stage, no sort.
     */
    static final String DUPLICATES = """
            WITH d AS (
                SELECT model_name, model_version, stat_date, slice_key, metric_name, min(ctid) AS first, count(*) AS copies,
                       bool_or(reason IS NOT NULL)
                       OR min(metric_value) IS DISTINCT FROM max(metric_value) OR count(metric_value) NOT IN (0, count(*))
                       OR min(business_metric_value) IS DISTINCT FROM max(business_metric_value)
                       OR count(business_metric_value) NOT IN (0, count(*)) AS conflicting
                FROM %1$s
                WHERE model_name IS NOT NULL AND model_version IS NOT NULL AND stat_date IS NOT NULL AND slice_key IS NOT NULL
                  AND metric_name IS NOT NULL
                GROUP BY model_name, model_version, stat_date, slice_key, metric_name
                HAVING count(*) > 1)
            UPDATE %1$s s
            SET reason = CASE WHEN d.conflicting THEN '%2$s' ELSE '%3$s' END,
                message = CASE WHEN d.conflicting THEN 'the source holds ' || d.copies || ' different rows for this key' END
            FROM d
            WHERE s.model_name = d.model_name AND s.model_version = d.model_version AND s.stat_date = d.stat_date
              AND s.slice_key = d.slice_key AND s.metric_name = d.metric_name
              AND s.reason IS NULL AND (d.conflicting OR s.ctid <> d.first)
            """.formatted("%1$s", CONFLICTING_DUPLICATE, IDENTICAL_DUPLICATE);

    /** Whether the source holds the legacy key unique (a primary key or unique index over some of its columns). */
    boolean keyed() {
        return keyed;
    }

    /** A numeric source column as double precision, out-of-range values as infinities (refused as non-finite). */
    private String asDouble(String column) {
        if ("numeric".equals(types.get(column))) {
            // NaN first: numeric orders NaN above every number.
            return "CASE WHEN " + column + " = 'NaN' THEN 'NaN'::float8 WHEN " + column + " > 1e308 THEN 'Infinity'::float8 WHEN " + column + " < -1e308 THEN '-Infinity'::float8 "
                    + "ELSE " + column + "::float8 END";
        }
        return column + "::float8";
    }

    /** The rules of {@link StatValidator} for an identity string, as CASE branches. */
    private static String text(String column, StatValidator.Limits limits) {
        return """
                    WHEN %1$s IS NULL OR %1$s ~ '^[[:space:]]*$' THEN '%1$s is empty'
                    WHEN length(%1$s) > %2$d THEN '%1$s is ' || length(%1$s) || ' characters long; the limit is %2$d'
                    WHEN %1$s ~ '[\\x01-\\x1f\\x7f-\\x9f]' THEN '%1$s contains a control character'
                    WHEN strpos(%1$s, U&'\\FFFD') > 0 THEN '%1$s contains U+FFFD: its bytes were not valid UTF-8'""".formatted(
                column, limits.maxStringLength());
    }

    private static String date(StatValidator.Limits limits) {
        return """
                    WHEN stat_date IS NULL THEN 'stat_date is missing'
                    WHEN stat_date NOT BETWEEN date '%1$s' AND date '%2$s' THEN 'stat_date ' || stat_date || ' is outside %1$s..%2$s'"""
                .formatted(limits.minDate(), limits.maxDate());
    }

    private static String number(String column, StatValidator.Limits limits, boolean required) {
        String missing = required ? "    WHEN %1$s IS NULL THEN '%1$s is missing'\n".formatted(column) : "";
        if (limits.allowNonFinite()) {
            return missing.stripTrailing();
        }
        return missing + """
                    WHEN %1$s IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
                         THEN '%1$s is ' || %1$s || '; only finite values are accepted'""".formatted(column);
    }
}
