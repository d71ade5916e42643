package statbridge.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import statbridge.config.CommonSettings;
import statbridge.config.Setting;
import statbridge.console.ConsoleSettings;
import statbridge.operations.OperationsSettings;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineSettings;
import statbridge.registry.RegistrySettings;
import statbridge.sink.SinkConfig;
import statbridge.sink.SinkSettings;
import statbridge.sink.db.DatabaseSettings;
import statbridge.tools.SinkWatches;
import statbridge.tools.lifecycle.LifecycleSettings;
import statbridge.tools.series.SeriesSettings;

/** The configuration reference in Markdown, generated from the settings every component declares. */
public final class ConfigReference {

    private ConfigReference() {
    }

    /**
     * Every setting statbridge reads, in the order docs/configuration.md lists them: what each
     * component declares it reads, each key once.
     */
    public static List<Setting> settings() {
        Map<String, Setting> all = new LinkedHashMap<>();
        for (List<Setting> component : List.of(PipelineConfig.settings(), SinkConfig.settings(), SinkWatches.settings(),
                LifecycleSettings.all(), SeriesSettings.all(), OperationsSettings.all(), ConsoleSettings.all())) {
            component.forEach(setting -> all.putIfAbsent(setting.key(), setting));
        }
        return List.copyOf(all.values());
    }

    /** The prefixes whose keys go to another library as they are, so no declaration names them. */
    public static List<String> passThroughPrefixes() {
        return List.of(CommonSettings.KAFKA_PASS_THROUGH, SinkSettings.CONSUMER_PASS_THROUGH,
                DatabaseSettings.HIKARI_PASS_THROUGH, PipelineSettings.STREAMS_PASS_THROUGH,
                RegistrySettings.SSL_PASS_THROUGH);
    }

    public static String markdown() {
        StringBuilder table = new StringBuilder("| key | environment variable | default | allowed | meaning |\n|---|---|---|---|---|\n");
        for (Setting setting : settings()) {
            table.append("| `").append(setting.key()).append("` | `").append(setting.environmentVariable()).append("` | ")
                    .append(setting.defaultValue() == null ? "—" : "`" + setting.defaultValue() + "`").append(" | ")
                    .append(setting.allowed()).append(" | ")
                    .append(setting.doc().replace("|", "\\|")).append(" |\n");
        }
        return table.toString();
    }
}
