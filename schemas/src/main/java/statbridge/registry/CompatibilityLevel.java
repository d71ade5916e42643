package statbridge.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The compatibility rules of the Confluent Schema Registry, with the same names.
 *
 * <p>BACKWARD means consumers using the new schema can read data written with the previous
 * one; FORWARD means consumers still on the previous schema can read data written with the new
 * one; FULL is both. The {@code _TRANSITIVE} variants check against every earlier version, not
 * only the latest.
 */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** New readers must read old data. */
    public boolean checksBackward() {
        return backward;
    }

    /** Old readers must read new data. */
    public boolean checksForward() {
        return forward;
    }

    /** Checked against every earlier version rather than only the latest. */
    public boolean isTransitive() {
        return transitive;
    }

    /**
     * Parses a level name, case-insensitively.
     *
     * @throws IllegalArgumentException naming the allowed values when {@code name} is not one
     */
    public static CompatibilityLevel parse(String name) {
        if (name != null) {
            String wanted = name.trim().toUpperCase(Locale.ROOT);
            for (CompatibilityLevel level : values()) {
                if (level.name().equals(wanted)) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException("unknown compatibility level '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
