package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged jar the {@code ./statbridge} launcher runs: its manifest, classpath and entry point. */
class PackagedCliIT {

    private static final Path JAR = Path.of("target/statbridge.jar");

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out, err);
    }

    @Test
    void theJarRunsHelpAndVersion() throws Exception {
        Result help = run("--help");
        assertThat(help.exit()).as(help.err()).isZero();
        assertThat(help.out()).contains("Usage: statbridge", "schemas");

        Result version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("statbridge 0.1.0");
    }

    @Test
    void theJarChecksTheSchemasWithItsOwnCopyOfTheHistory() throws Exception {
        Result check = run("schemas", "check", "--registry", "mock://packaged-cli");
        assertThat(check.exit()).as(check.err()).isZero();
        assertThat(check.out()).contains("ok    statbridge.v1.ModelStat", "ok    statbridge.v2.BusinessStat",
                "is not registered yet", "All schemas are compatible.");
    }
}
