package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import statbridge.contract.CsvLine;
import statbridge.contract.StatValidator;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

class StatLinesTest {

    private static final LocalDate DAY = LocalDate.of(2026, 3, 1);

    /** What a read produced: records by line and reasons by line. */
    private static final class Result implements StatLines.Handler {
        final Map<Integer, List<SpecificRecord>> accepted = new TreeMap<>();
        final Map<Integer, String> refused = new TreeMap<>();

        @Override
        public void accepted(int line, List<SpecificRecord> records) {
            accepted.put(line, records);
        }

        @Override
        public void refused(int line, String reason) {
            refused.put(line, reason);
        }
    }

    private static Result read(StatLines.Version version, StatLines.Format format, byte[] input) throws IOException {
        Result result = new Result();
        new StatLines(version, StatValidator.Limits.defaults()).read(new ByteArrayInputStream(input), format, result);
        return result;
    }

    private static Result read(StatLines.Version version, String input) throws IOException {
        return read(version, null, input.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void v1CsvLinesBecomeV1StatsAndBadLinesAreRefusedWithTheirNumbers() throws IOException {
        Result result = read(StatLines.Version.V1, """
                model_name,model_version,stat_date,slice_key,metric_name,metric_value,business_metric_value
                IntentClassifier,v4,2026-03-01,ALL,accuracy,0.93,
                # a comment
                ChurnPredictor,v3,2026-03-01,"country=PL, north",churn_rate,0.12,15000.5

                IntentClassifier,v4,2026-03-01,ALL,accuracy,NaN,
                IntentClassifier,v4,2026-03-01,ALL,accuracy,0x1p3,
                IntentClassifier,v4,2026-02-30,ALL,accuracy,1,
                IntentClassifier,v4,2026-03-01,ALL,accuracy
                IntentClassifier,v4,2026-03-01,"ALL,accuracy,1,
                IntentClassifier,v4,1999-12-31,ALL,accuracy,1,
                ,v4,2026-03-01,ALL,accuracy,1,
                """);

        assertThat(result.accepted).containsOnlyKeys(2, 4);
        assertThat(result.accepted.get(2)).containsExactly(
                new statbridge.v1.ModelStat("IntentClassifier", "v4", DAY, "ALL", "accuracy", 0.93, null));
        assertThat(result.accepted.get(4)).containsExactly(
                new statbridge.v1.ModelStat("ChurnPredictor", "v3", DAY, "country=PL, north", "churn_rate", 0.12, 15000.5));
        assertThat(result.refused).containsOnlyKeys(6, 7, 8, 9, 10, 11, 12);
        assertThat(result.refused.get(6)).contains("metric_value is NaN");
        assertThat(result.refused.get(7)).contains("metric_value '0x1p3' is not a number");
        assertThat(result.refused.get(8)).contains("stat_date '2026-02-30' is not a date");
        assertThat(result.refused.get(9)).isEqualTo("expected 7 columns, found 5");
        assertThat(result.refused.get(10)).contains("is not closed");
        assertThat(result.refused.get(11)).contains("outside 2000-01-01..2099-12-31");
        assertThat(result.refused.get(12)).contains("model_name is empty");
    }

    @Test
    void v2LinesWithABusinessColumnAlsoBecomeABusinessStatAndAnEmptyValueWithdrawsIt() throws IOException {
        Result result = read(StatLines.Version.V2, """
                metric_type,metric_key,metric_value,model_name,model_version,stat_date,slice_key,business_metric_value
                BUSINESS,churn_rate,0.12,ChurnPredictor,v3,2026-03-01,ALL,15000.5
                online,accuracy,0.9,ChurnPredictor,v3,2026-03-01,ALL,
                UNKNOWN,accuracy,0.9,ChurnPredictor,v3,2026-03-01,ALL,
                """);

        assertThat(result.accepted.get(2)).containsExactly(
                new statbridge.v2.ModelStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.BUSINESS, "churn_rate", 0.12),
                new BusinessStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.BUSINESS, "churn_rate", 15000.5));
        assertThat(result.accepted.get(3)).containsExactly(
                new statbridge.v2.ModelStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.ONLINE, "accuracy", 0.9),
                new BusinessStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.ONLINE, "accuracy", null));
        assertThat(result.refused).containsOnlyKeys(4);
        assertThat(result.refused.get(4)).contains("metric_type 'UNKNOWN' is not one of ONLINE, BUSINESS, DRIFT");
    }

    @Test
    void v2LinesWithoutABusinessColumnAreModelStatsOnly() throws IOException {
        Result result = read(StatLines.Version.V2, """
                model_name,model_version,stat_date,slice_key,metric_type,metric_key,metric_value
                M,v1,2026-03-01,ALL,DRIFT,psi_country,0.2
                """);

        assertThat(result.accepted.get(2)).containsExactly(
                new statbridge.v2.ModelStat("M", "v1", DAY, "ALL", MetricType.DRIFT, "psi_country", 0.2));
    }

    @Test
    void jsonLinesAreToldFromTheFirstLineAndCheckedFieldByField() throws IOException {
        Result result = read(StatLines.Version.V1, """
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"accuracy","metric_value":0.5}
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x","metric_value":1,"business_metric_value":null}
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x","metric_value":"1"}
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x"}
                {"model_name":"M","model_name":"N","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x","metric_value":1}
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x","metric_value":1,"extra":1}
                {"model_name":"M",
                [1,2]
                {"model_name":"M","model_version":"v1","stat_date":"2026-03-01","slice_key":"ALL","metric_name":"x","metric_value":"-Infinity"}
                """);

        assertThat(result.accepted).containsOnlyKeys(1, 2);
        assertThat(result.accepted.get(1)).containsExactly(
                new statbridge.v1.ModelStat("M", "v1", DAY, "ALL", "accuracy", 0.5, null));
        assertThat(result.refused.get(3)).isEqualTo("metric_value must be a number, not string");
        assertThat(result.refused.get(4)).isEqualTo("the field metric_value is missing");
        assertThat(result.refused.get(5)).contains("Duplicate field 'model_name'");
        assertThat(result.refused.get(6)).startsWith("unknown field 'extra'");
        assertThat(result.refused.get(7)).startsWith("not a JSON object");
        assertThat(result.refused.get(8)).isEqualTo("not a JSON object");
        assertThat(result.refused.get(9)).contains("metric_value is -Infinity");
    }

    @Test
    void aLineThatIsNotUtf8IsRefusedAloneAndCrLfAndBomAreAccepted() throws IOException {
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes("\uFEFFmodel_name,model_version,stat_date,slice_key,metric_name,metric_value\r\n".getBytes(StandardCharsets.UTF_8));
        input.writeBytes("M,v1,2026-03-01,ALL,a,1\r\n".getBytes(StandardCharsets.UTF_8));
        input.writeBytes(new byte[] {'M', ',', 'v', '1', ',', '2', '0', '2', '6', '-', '0', '3', '-', '0', '1', ',', (byte) 0xC3, (byte) 0x28, ',', 'a', ',', '1', '\n'});
        input.writeBytes("M,v1,2026-03-01,ALL,b,2".getBytes(StandardCharsets.UTF_8));

        Result result = read(StatLines.Version.V1, StatLines.Format.CSV, input.toByteArray());

        assertThat(result.accepted).containsOnlyKeys(2, 4);
        assertThat(result.accepted.get(4)).containsExactly(new statbridge.v1.ModelStat("M", "v1", DAY, "ALL", "b", 2.0, null));
        assertThat(result.refused).containsExactly(Map.entry(3, "the line is not valid UTF-8"));
    }

    @Test
    void aHeaderThatCannotBeReadByPositionRefusesTheWholeInput() {
        assertThatThrownBy(() -> read(StatLines.Version.V1, "model_name,model_name,stat_date,slice_key,metric_name,metric_value\n"))
                .isInstanceOf(StatLines.BadHeaderException.class).hasMessageContaining("'model_name' appears twice");
        assertThatThrownBy(() -> read(StatLines.Version.V1, "model_name,model_version,stat_date,slice_key,metric_name\n"))
                .isInstanceOf(StatLines.BadHeaderException.class).hasMessageContaining("missing column(s) metric_value");
        assertThatThrownBy(() -> read(StatLines.Version.V2,
                "model_name,model_version,stat_date,slice_key,metric_name,metric_value\n"))
                .isInstanceOf(StatLines.BadHeaderException.class).hasMessageContaining("unknown column 'metric_name'");
        assertThatThrownBy(() -> read(StatLines.Version.V1, "\n# only comments\n"))
                .isInstanceOf(StatLines.BadHeaderException.class).hasMessageContaining("no header line");
    }

    @Test
    void csvCellsFollowRfc4180Quoting() {
        List<String> cells = new ArrayList<>();
        assertThat(CsvLine.split("a,\"b,\"\"c\"\"\",,\"\"", cells)).isEmpty();
        assertThat(cells).containsExactly("a", "b,\"c\"", "", "");
        assertThat(CsvLine.split("\"a\"x,b", new ArrayList<>())).contains("text after the closing quote in column 1");
    }
}
