package statbridge.embedded;

import java.util.List;
import statbridge.cli.LocalCommands;

/** {@code up} and {@code demo}: statbridge with its own Kafka broker, registry and PostgreSQL on this machine. */
public final class LocalStack implements LocalCommands {

    @Override
    public List<Class<?>> commands() {
        return List.of(UpCommand.class, DemoCommand.class);
    }
}
