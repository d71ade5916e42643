package statbridge.config;

/** A configuration value that is missing, malformed or contradictory; the message names the key. */
public class ConfigurationException extends RuntimeException {

    public ConfigurationException(String message) {
        super(message);
    }
}
