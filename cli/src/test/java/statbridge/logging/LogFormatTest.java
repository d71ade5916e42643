package statbridge.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The product's logging configuration, in a JVM of its own: text by default, JSON lines when asked, credentials hidden in both. */
class LogFormatTest {

    private static String stderrOf(String format) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlogback.configurationFile=" + Path.of("src/main/resources/logback.xml").toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), LogFormatProbe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command);
        if (format != null) {
            builder.environment().put("STATBRIDGE_LOG_FORMAT", format);
        }
        Process process = builder.start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(err).isZero();
        return err.strip();
    }

    @Test
    void jsonLinesCarryTheRecordsCoordinatesAsFieldsWithCredentialsHidden() throws Exception {
        String line = stderrOf("json");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("WARN");
        assertThat(json.get("loggerName").asText()).isEqualTo("statbridge.sink.RecordDecoder");
        assertThat(json.get("formattedMessage").asText()).startsWith("dead-lettering model-stats.v2-3@41").doesNotContain("hunter2");
        assertThat(json.toString()).contains("\"topic\":\"model-stats.v2\"", "\"partition\":\"3\"", "\"offset\":\"41\"");
    }

    @Test
    void textStaysTheDefaultWithTheCoordinatesAtTheEnd() throws Exception {
        String line = stderrOf(null);
        assertThat(line).contains(" WARN  statbridge.sink.RecordDecoder - dead-lettering model-stats.v2-3@41", "topic=\"model-stats.v2\"",
                "offset=\"41\"").doesNotContain("hunter2").doesNotStartWith("{");
    }
}
