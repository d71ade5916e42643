package statbridge.tools.lifecycle;

import java.util.List;
import java.util.Locale;

/**
 * Lays out a one-line query for people: a new line before each clause of the outermost query
 * (FROM, each JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET) and before each top-level
 * AND of its WHERE. Nothing inside parentheses, quotes or identifiers moves; the text is otherwise
 * unchanged, so the laid-out query is the same query.
 */
public final class SqlLayout {

    private static final List<String> CLAUSES = List.of("LEFT JOIN ", "INNER JOIN ", "RIGHT JOIN ", "FULL JOIN ", "JOIN ", "FROM ",
            "WHERE ", "GROUP BY ", "HAVING ", "ORDER BY ", "LIMIT ", "OFFSET ");

    private SqlLayout() {
    }

    public static String lines(String sql) {
        StringBuilder out = new StringBuilder(sql.length() + 32);
        int depth = 0;
        boolean inString = false;
        boolean inIdentifier = false;
        boolean inWhere = false;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (inString) {
                inString = c != '\'';
            } else if (inIdentifier) {
                inIdentifier = c != '"';
            } else if (c == '\'') {
                inString = true;
            } else if (c == '"') {
                inIdentifier = true;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ' ' && depth == 0) {
                String rest = sql.substring(i + 1, Math.min(sql.length(), i + 12)).toUpperCase(Locale.ROOT);
                String clause = CLAUSES.stream().filter(rest::startsWith).findFirst().orElse(null);
                if (clause != null && !(clause.equals("JOIN ") && endsWithJoinWord(out))) {
                    inWhere = clause.equals("WHERE ");
                    out.append('\n');
                    continue;
                }
                if (inWhere && rest.startsWith("AND ")) {
                    out.append("\n ");
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static boolean endsWithJoinWord(StringBuilder out) {
        String tail = out.substring(Math.max(0, out.length() - 6)).toUpperCase(Locale.ROOT);
        return tail.endsWith("LEFT") || tail.endsWith("INNER") || tail.endsWith("RIGHT") || tail.endsWith("FULL");
    }
}
