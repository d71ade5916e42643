package statbridge.registry;

/**
 * No registry URL answered within the configured attempts. Unlike a {@link RegistryException}
 * this says nothing about the schema itself: callers should retry or stop, never dead-letter.
 */
public class RegistryUnavailableException extends RegistryException {

    public RegistryUnavailableException(String message, Throwable cause) {
        super(-1, -1, message);
        initCause(cause);
    }
}
