package statbridge.cli;

import statbridge.contract.ValidationSettings;
import java.util.ArrayList;
import java.util.List;
import statbridge.config.CommonSettings;
import statbridge.config.RegistrySettings;
import statbridge.config.Setting;
import statbridge.pipeline.PipelineSettings;

/** The configuration reference in Markdown, generated from the settings every component declares. */
public final class ConfigReference {

    private ConfigReference() {
    }

    /** Every setting statbridge reads, in the order docs/configuration.md lists them. */
    public static List<Setting> settings() {
        List<Setting> all = new ArrayList<>(CommonSettings.all());
        all.addAll(ValidationSettings.all());
        all.addAll(RegistrySettings.all());
        all.addAll(PipelineSettings.all());
        all.addAll(statbridge.sink.SinkSettings.all());
        all.addAll(statbridge.tools.lifecycle.LifecycleSettings.all());
        all.addAll(statbridge.tools.series.SeriesSettings.all());
        all.addAll(statbridge.operations.OperationsSettings.all());
        all.addAll(statbridge.console.ConsoleSettings.all());
        return all;
    }

    /** The prefixes whose keys go to another library as they are, so no declaration names them. */
    public static List<String> passThroughPrefixes() {
        return List.of(CommonSettings.KAFKA_PASS_THROUGH, statbridge.sink.SinkSettings.CONSUMER_PASS_THROUGH,
                statbridge.sink.db.DatabaseSettings.HIKARI_PASS_THROUGH, PipelineSettings.STREAMS_PASS_THROUGH,
                statbridge.registry.RegistryClientConfig.SSL_PREFIX);
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
