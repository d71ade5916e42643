package statbridge.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import statbridge.v2.MetricType;

class MetricTypesTest {

    @Test
    void theThreeTypesParseIgnoringCaseAndBlanks() {
        assertThat(MetricTypes.parse(" drift ")).isEqualTo(MetricType.DRIFT);
        assertThat(MetricTypes.parse("Business")).isEqualTo(MetricType.BUSINESS);
        assertThat(MetricTypes.parse("ONLINE")).isEqualTo(MetricType.ONLINE);
    }

    @Test
    void theReadersDefaultSymbolAndOtherNamesAreRefusedWithTheAllowedTypes() {
        assertThatThrownBy(() -> MetricTypes.parse("UNKNOWN")).hasMessage("metric_type 'UNKNOWN' is not one of ONLINE, BUSINESS, DRIFT");
        assertThatThrownBy(() -> MetricTypes.parse(null)).hasMessage("metric_type '' is not one of ONLINE, BUSINESS, DRIFT");
        assertThatThrownBy(() -> MetricTypes.parse("x".repeat(50))).hasMessage("metric_type '" + "x".repeat(40)
                + "...' is not one of ONLINE, BUSINESS, DRIFT");
    }
}
