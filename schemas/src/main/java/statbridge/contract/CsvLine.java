package statbridge.contract;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The one CSV reader of everything statbridge reads as CSV (stat files for {@code publish},
 * catalog files): the cells of one line by RFC 4180 (commas separate, double quotes quote,
 * {@code ""} is a quote inside quotes), read by Jackson's CSV parser. The caller splits the input
 * into lines first, so that each line is decoded, and refused, on its own with its number; a broken
 * quote is reported by column.
 */
public final class CsvLine {

    private static final CsvMapper CSV_MAPPER = new CsvMapper();
    private static final CsvFactory CSV = CSV_MAPPER.getFactory();

    private CsvLine() {
    }

    /** One line of CSV (without its line break), each cell quoted where RFC 4180 needs it: what {@link #split} reads back. */
    public static String render(String... cells) {
        try {
            String line = CSV_MAPPER.writer().writeValueAsString(cells);
            return line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a line of CSV", e);
        }
    }

    /** Adds the cells of {@code line} to {@code cells}; returns what is wrong with the line, if anything. */
    public static Optional<String> split(String line, List<String> cells) {
        if (line.isEmpty()) {
            cells.add("");
            return Optional.empty();
        }
        try (CsvParser parser = CSV.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                return Optional.of("not a line of CSV");
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.VALUE_STRING; token = parser.nextToken()) {
                cells.add(parser.getText());
            }
            return Optional.empty();
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("Missing closing quote")) {
                return Optional.of("a quoted field in column " + (cells.size() + 1) + " is not closed");
            }
            if (message.contains("Expected column separator")) {
                return Optional.of("text after the closing quote in column " + (cells.size() + 1));
            }
            return Optional.of("not CSV in column " + (cells.size() + 1) + ": " + message.lines().findFirst().orElse(message));
        }
    }
}
