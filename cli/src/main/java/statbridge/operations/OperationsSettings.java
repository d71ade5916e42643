package statbridge.operations;

import java.util.List;
import statbridge.config.Setting;

/** Where a running component serves {@code /metrics} and {@code /health}. */
public final class OperationsSettings {

    public static final Setting BIND_ADDRESS = new Setting("operations.bind.address", "0.0.0.0",
            "Address /metrics and /health (/health/live, /health/ready) listen on: 0.0.0.0 for containers and scrapers on other hosts, 127.0.0.1 to keep them on this machine. The port is the command's --metrics-port.");

    private OperationsSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(OperationsSettings.class);
    }
}
