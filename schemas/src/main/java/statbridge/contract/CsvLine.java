package statbridge.contract;

import java.util.List;
import java.util.Optional;

/**
 * The one CSV reader of everything statbridge reads as CSV (stat files for {@code publish},
 * catalog files): RFC 4180 cells of one line, commas separate, double quotes quote, {@code ""}
 * is a quote inside quotes.
 */
public final class CsvLine {

    private CsvLine() {
    }

    /** Adds the cells of {@code line} to {@code cells}; returns what is wrong with the line, if anything. */
    public static Optional<String> split(String line, List<String> cells) {
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
                wasQuoted = false;
            } else if (c == '"' && cell.length() == 0 && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else if (wasQuoted) {
                return Optional.of("text after the closing quote in column " + (cells.size() + 1));
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            return Optional.of("a quoted field in column " + (cells.size() + 1) + " is not closed");
        }
        cells.add(cell.toString());
        return Optional.empty();
    }
}
