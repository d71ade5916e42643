package statbridge.tools.lifecycle;

/**
 * What a query's {@code $n} parameter stands for, as far as the query says: a value of a legacy
 * column (compared for equality, or a lower or upper bound), or a row count.
 *
 * @param column the legacy column it is compared with, or null for LIMIT and OFFSET
 * @param rank its place in an {@code IN} list (0 otherwise), so that a list's parameters take different values
 */
public record ParameterRole(String column, Kind kind, int rank) {

    /** How the parameter is used. */
    public enum Kind { EQUAL, LOWER, UPPER, LIMIT, OFFSET }
}
