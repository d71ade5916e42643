package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every case of {@code corpus/cli/cases.json} through {@code statbridge publish --dry-run}:
 * the exit code, the lines refused (each with its reason) and how many lines would be sent are
 * exactly what the corpus says.
 */
class PublishCorpusTest {

    private static final Path CORPUS = Path.of("..", "corpus", "cli");
    private static final Pattern REFUSED = Pattern.compile("^line (\\d+): (.*)$", Pattern.MULTILINE);
    private static final Pattern PUBLISHED = Pattern.compile("would publish (\\d+) line\\(s\\)");

    static Stream<Named<JsonNode>> cases() throws IOException {
        List<Named<JsonNode>> cases = new ArrayList<>();
        new ObjectMapper().readTree(CORPUS.resolve("cases.json").toFile())
                .forEach(c -> cases.add(Named.of(c.has("file") ? c.get("file").asText() : c.get("generate").asText(), c)));
        assertThat(cases).hasSizeGreaterThan(10);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void publishRefusesExactlyTheBadLinesWithTheirReasons(JsonNode c) throws IOException {
        Path input = c.has("file") ? CORPUS.resolve(c.get("file").asText()) : generate(c.get("generate").asText());
        CliRunner cli = new CliRunner();

        int exit = cli.run("publish", "--version", c.get("version").asText(), "--dry-run", "--kafka", "localhost:1", input.toString());

        assertThat(exit).as("exit code; stderr: %s", cli.err()).isEqualTo(c.get("exit").asInt());
        Map<Integer, String> refused = new TreeMap<>();
        Matcher matcher = REFUSED.matcher(cli.err());
        while (matcher.find()) {
            refused.put(Integer.parseInt(matcher.group(1)), matcher.group(2));
        }
        Map<Integer, String> expected = new TreeMap<>();
        if (c.has("refused")) {
            c.get("refused").properties().forEach(e -> expected.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
        }
        assertThat(refused.keySet()).as("refused lines; stderr: %s", cli.err()).isEqualTo(expected.keySet());
        expected.forEach((line, reason) -> assertThat(refused.get(line)).as("line %d", line).contains(reason));
        if (c.has("stderr")) {
            c.get("stderr").forEach(text -> assertThat(cli.err()).contains(text.asText()));
        }
        Matcher published = PUBLISHED.matcher(cli.out());
        assertThat(published.find() ? Integer.parseInt(published.group(1)) : 0).as("lines that would be published; out: %s", cli.out())
                .isEqualTo(c.get("published").asInt());
    }

    private static Path generate(String name) throws IOException {
        Path file = Files.createTempDirectory("corpus").resolve(name);
        if (!name.equals("ten-megabyte-model-name.csv")) {
            throw new IllegalArgumentException("no generator for " + name);
        }
        Files.writeString(file, "model_name,model_version,stat_date,slice_key,metric_name,metric_value\n"
                + "x".repeat(10 * 1024 * 1024) + ",v1,2026-03-01,ALL,accuracy,1\n"
                + "M,v1,2026-03-01,ALL,accuracy,1\n", StandardCharsets.UTF_8);
        return file;
    }
}
