package statbridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.config.Configuration;
import statbridge.config.ConfigurationException;

/** The pipeline's output compression is a setting, LZ4 unless told otherwise, and a wrong one is refused by name. */
class PipelineConfigTest {

    private static PipelineConfig with(Map<String, String> flags) {
        return PipelineConfig.from(Configuration.load(null, Map.of(), flags));
    }

    @Test
    void theOutputIsLz4CompressedUnlessAnotherCodecIsChosen() {
        assertThat(with(Map.of()).streams()).containsEntry("producer.compression.type", "lz4");
        assertThat(with(Map.of("pipeline.output.compression", "GZIP")).streams()).containsEntry("producer.compression.type", "gzip");
        assertThat(with(Map.of("pipeline.output.compression", "none")).streams()).containsEntry("producer.compression.type", "none");
        assertThatThrownBy(() -> with(Map.of("pipeline.output.compression", "brotli")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("pipeline.output.compression").hasMessageContaining("NONE, GZIP, SNAPPY, LZ4, ZSTD");
    }
}
