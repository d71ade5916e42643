package statbridge.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import statbridge.contract.CsvLine;
import statbridge.contract.StatValidator;
import statbridge.v2.BusinessStat;

/**
 * Reads stats written by people and scripts: CSV with a header line, or JSON lines (one object
 * per line). Each line becomes the records to publish or a refusal with its line number and
 * reason; a line is never half accepted. A v1 line is one {@code ModelStat} v1; a v2 line is
 * one {@code ModelStat} v2 and, when it has a {@code business_metric_value} column or field
 * (empty or null withdraws the KPI), one {@code BusinessStat} too.
 *
 * <p>Blank lines are skipped, and in CSV so are lines starting with {@code #}. A CSV header with
 * a duplicate, unknown or missing column makes the whole input unusable
 * ({@link BadHeaderException}): nothing can be read safely by position after it.
 */
final class StatLines {

    /** The record version the lines describe. */
    public enum Version {
        V1, V2
    }

    /** How the lines are written. */
    public enum Format {
        CSV, JSON;

        /** JSON when the first non-blank line starts with '{', CSV otherwise. */
        static Format sniff(String firstLine) {
            return firstLine.stripLeading().startsWith("{") ? JSON : CSV;
        }
    }

    /** What happens to each line. */
    public interface Handler {
        /** A good line and the records it becomes (one or two), in the order to send them. */
        void accepted(int line, List<SpecificRecord> records);

        /** A line that is not published, and why. */
        void refused(int line, String reason);
    }

    /** A CSV header that cannot be used. */
    public static final class BadHeaderException extends IllegalArgumentException {
        BadHeaderException(String message) {
            super(message);
        }
    }

    static final List<String> V1_COLUMNS = List.of("model_name", "model_version", "stat_date", "slice_key", "metric_name",
            "metric_value", "business_metric_value");
    static final List<String> V2_COLUMNS = List.of("model_name", "model_version", "stat_date", "slice_key", "metric_type",
            "metric_key", "metric_value", "business_metric_value");
    static final String OPTIONAL_COLUMN = "business_metric_value";
    static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    static final Set<String> NON_FINITE = Set.of("NaN", "Infinity", "+Infinity", "-Infinity");

    private final Version version;
    private final StatRecords records;
    private final ObjectMapper json = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public StatLines(Version version, StatValidator.Limits limits) {
        this.version = version;
        this.records = new StatRecords(version, new StatValidator(limits));
    }

    /**
     * Reads every line of {@code in}.
     *
     * @param format the format, or null to tell from the first non-blank line
     * @throws BadHeaderException when a CSV header cannot be used (nothing has been accepted then)
     */
    public void read(InputStream in, Format format, Handler handler) throws IOException {
        LineSplitter lines = new LineSplitter(in);
        Map<String, Integer> header = null;
        byte[] bytes;
        while ((bytes = lines.next()) != null) {
            int number = lines.number();
            String line;
            try {
                line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                if (header == null && format != Format.JSON) {
                    throw new BadHeaderException("line " + number + ": the header is not valid UTF-8");
                }
                handler.refused(number, "the line is not valid UTF-8");
                continue;
            }
            if (number == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank()) {
                continue;
            }
            if (format == null) {
                format = Format.sniff(line);
            }
            if (format == Format.CSV && line.startsWith("#")) {
                continue;
            }
            if (format == Format.CSV && header == null) {
                header = header(line, number);
                continue;
            }
            Map<String, String> fields = new HashMap<>();
            Optional<String> problem = format == Format.CSV ? csvFields(line, header, fields) : jsonFields(line, fields);
            StatRecords.Outcome outcome = problem.map(StatRecords.Outcome::refused).orElseGet(() -> records.build(fields));
            if (outcome.reason() != null) {
                handler.refused(number, outcome.reason());
            } else {
                handler.accepted(number, outcome.records());
            }
        }
        if (format == Format.CSV && header == null) {
            throw new BadHeaderException("the input has no header line; expected " + String.join(",", columns()));
        }
    }

    private List<String> columns() {
        return version == Version.V1 ? V1_COLUMNS : V2_COLUMNS;
    }

    private Map<String, Integer> header(String line, int number) {
        List<String> names = new ArrayList<>();
        Optional<String> problem = CsvLine.split(line, names);
        if (problem.isPresent()) {
            throw new BadHeaderException("line " + number + " (the header): " + problem.get());
        }
        Map<String, Integer> positions = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i).strip().toLowerCase(Locale.ROOT);
            if (!columns().contains(name)) {
                throw new BadHeaderException("line " + number + " (the header): unknown column '" + names.get(i) + "'; a "
                        + version.name().toLowerCase(Locale.ROOT) + " file has the columns " + String.join(",", columns()));
            }
            if (positions.putIfAbsent(name, i) != null) {
                throw new BadHeaderException("line " + number + " (the header): the column '" + name + "' appears twice");
            }
        }
        List<String> missing = columns().stream().filter(c -> !c.equals(OPTIONAL_COLUMN) && !positions.containsKey(c)).toList();
        if (!missing.isEmpty()) {
            throw new BadHeaderException("line " + number + " (the header): missing column(s) " + String.join(",", missing));
        }
        return positions;
    }

    private static Optional<String> csvFields(String line, Map<String, Integer> header, Map<String, String> fields) {
        List<String> cells = new ArrayList<>();
        Optional<String> problem = CsvLine.split(line, cells);
        if (problem.isPresent()) {
            return problem;
        }
        if (cells.size() != header.size()) {
            return Optional.of("expected " + header.size() + " columns, found " + cells.size());
        }
        header.forEach((name, position) -> fields.put(name, cells.get(position)));
        return Optional.empty();
    }

    private Optional<String> jsonFields(String line, Map<String, String> fields) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            return Optional.of("not a JSON object: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            return Optional.of("not a JSON object");
        }
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) object::fields) {
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (!columns().contains(name)) {
                return Optional.of("unknown field '" + name + "'; a " + version.name().toLowerCase(Locale.ROOT)
                        + " stat has the fields " + String.join(",", columns()));
            }
            boolean numeric = name.endsWith("_value");
            if (value.isNull()) {
                fields.put(name, "");
            } else if (numeric && value.isNumber()) {
                fields.put(name, value.asText());
            } else if (numeric && value.isTextual() && NON_FINITE.contains(value.asText())) {
                fields.put(name, value.asText());
            } else if (!numeric && value.isTextual()) {
                fields.put(name, value.asText());
            } else {
                return Optional.of(name + " must be " + (numeric ? "a number" : "a string") + ", not " + value.getNodeType()
                        .name().toLowerCase(Locale.ROOT));
            }
        }
        for (String column : columns()) {
            if (!column.equals(OPTIONAL_COLUMN) && !fields.containsKey(column)) {
                return Optional.of("the field " + column + " is missing");
            }
        }
        return Optional.empty();
    }
}
