package statbridge.catalog;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import statbridge.contract.CsvLine;
import statbridge.contract.MetricTypes;

/**
 * Reads catalog files: CSV with the header {@code metric_name,metric_type,metric_key}, one entry
 * per line; blank lines and lines starting with {@code #} are skipped. Every problem is reported
 * with its line number, and nothing is returned unless the whole file is good and bijective.
 */
public final class CatalogFile {

    /** A catalog file that cannot be used, with every problem found. */
    public static final class BadCatalogFileException extends IllegalArgumentException {
        private final List<String> problems;

        BadCatalogFileException(String source, List<String> problems) {
            super(source + ": " + problems.size() + " problem(s):\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private CatalogFile() {
    }

    public static List<CatalogEntry> read(Reader reader, String source, CatalogEntry.Origin origin) throws IOException {
        List<CatalogEntry> entries = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        MetricCatalog catalog = MetricCatalog.empty();
        BufferedReader lines = new BufferedReader(reader);
        String line;
        int number = 0;
        boolean headerSeen = false;
        while ((line = lines.readLine()) != null) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            List<String> cells = new ArrayList<>();
            Optional<String> malformed = CsvLine.split(trimmed, cells);
            if (malformed.isPresent()) {
                problems.add("line " + number + ": " + malformed.get());
                continue;
            }
            if (!headerSeen) {
                headerSeen = true;
                if (cells.stream().map(String::strip).toList().equals(List.of("metric_name", "metric_type", "metric_key"))) {
                    continue;
                }
                problems.add("line " + number + ": expected the header metric_name,metric_type,metric_key");
                continue;
            }
            if (cells.size() != 3) {
                problems.add("line " + number + ": expected 3 columns, found " + cells.size());
                continue;
            }
            try {
                CatalogEntry entry = new CatalogEntry(cells.get(0).strip(), MetricTypes.parse(cells.get(1)), cells.get(2).strip(), origin);
                catalog = catalog.with(entry);
                entries.add(entry);
            } catch (IllegalArgumentException e) {
                problems.add("line " + number + ": " + e.getMessage());
            }
        }
        if (!headerSeen) {
            problems.add("the file is empty");
        }
        if (!problems.isEmpty()) {
            throw new BadCatalogFileException(source, problems);
        }
        return entries;
    }
}
