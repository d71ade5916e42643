package statbridge.embedded;

import java.util.Locale;
import java.util.Optional;

/**
 * The platforms {@code up} and {@code demo} run on: the embedded PostgreSQL's binaries are bundled
 * for Linux and macOS, on x86-64 and ARM64 (zonky's, one jar each, chosen at run time by the
 * resource name below). Anywhere else they say so before starting anything.
 */
final class EmbeddedPlatform {

    private EmbeddedPlatform() {
    }

    /** The bundled PostgreSQL binaries for {@code os.name} and {@code os.arch}, as zonky names them, if there are any. */
    static Optional<String> binaries(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String system = os.startsWith("linux") ? "linux" : os.startsWith("mac") || os.startsWith("darwin") ? "darwin" : null;
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            default -> null;
        };
        if (system == null || arch == null) {
            return Optional.empty();
        }
        String resource = "postgres-" + system + "-" + arch + ".txz";
        return EmbeddedPlatform.class.getClassLoader().getResource(resource) == null ? Optional.empty() : Optional.of(resource);
    }

    /**
     * @throws IllegalStateException saying what runs where, on a platform without bundled binaries
     */
    static String requireSupported(String osName, String osArch) {
        return binaries(osName, osArch).orElseThrow(() -> new IllegalStateException("'statbridge up' and 'demo' embed PostgreSQL, "
                + "bundled for Linux and macOS on x86-64 and ARM64; this machine is " + osName + " on " + osArch + ". Run "
                + "'statbridge pipeline' and 'statbridge sink' against a Kafka, a schema registry and a PostgreSQL of your own "
                + "(see docs/deployment.md), or 'up' in a Linux container."));
    }

    /** The check for this machine. */
    static String requireSupported() {
        return requireSupported(System.getProperty("os.name"), System.getProperty("os.arch"));
    }
}
