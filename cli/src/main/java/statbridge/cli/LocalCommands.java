package statbridge.cli;

import java.util.List;

/**
 * Subcommands that run statbridge on this machine with its own infrastructure ({@code up},
 * {@code demo}). They live in the {@code statbridge-embedded} module, found through
 * {@link java.util.ServiceLoader}, so that the production artifacts (the {@code statbridge-cli}
 * jar and the image) carry no Kafka broker and no PostgreSQL binaries.
 */
public interface LocalCommands {

    /** The picocli command classes, in the order {@code --help} lists them; each call of the command line makes its own instances. */
    List<Class<?>> commands();
}
