package statbridge.console;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import statbridge.config.Configuration;
import statbridge.config.Setting;

/** Where the console listens and who may open it. */
public final class ConsoleSettings {

    public static final Setting PORT = Setting.integer("console.port", 8088, 0, 65535,
            "Port of the console (statbridge console, up, demo), or the next free one; 0 picks any free port. The flag is --console-port.");

    public static final Setting BIND = new Setting("console.bind", "127.0.0.1",
            "Address the console listens on: 127.0.0.1 keeps it on this machine; anything else requires console.auth.user and console.auth.password. The flag is --bind.");

    public static final Setting AUTH_USER = new Setting("console.auth.user", null,
            "User name of the console's HTTP basic authentication; with console.auth.password, every page asks for it.");

    public static final Setting AUTH_PASSWORD = Setting.password("console.auth.password",
            "Password of the console's HTTP basic authentication. Never logged.");

    public static final Setting REFRESH = Setting.duration("console.kafka.refresh", "10s",
            "How often the console reads lag, rates and the last 24 hours of dead letters from Kafka; pages show the last reading and its age.");

    private ConsoleSettings() {
    }

    /** {@code config} with the console's flags over it (each null when not given). */
    public static Configuration withFlags(Configuration config, Integer port, String bind) {
        Map<String, String> flags = new HashMap<>();
        if (port != null) {
            flags.put(PORT.key(), Integer.toString(port));
        }
        if (bind != null) {
            flags.put(BIND.key(), bind);
        }
        return flags.isEmpty() ? config : config.with(flags);
    }

    public static List<Setting> all() {
        return Setting.declaredIn(ConsoleSettings.class);
    }
}
