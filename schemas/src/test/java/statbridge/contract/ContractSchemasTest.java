package statbridge.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.LocalDate;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.Schema.Field;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import statbridge.v2.MetricType;

/** The generated schemas say exactly what CONTRACT.md section 2 promises. */
class ContractSchemasTest {

    private static List<String> fieldNames(Schema schema) {
        return schema.getFields().stream().map(Field::name).toList();
    }

    @Test
    void modelStatV1HasTheContractFieldsInOrder() {
        Schema schema = statbridge.v1.ModelStat.getClassSchema();
        assertThat(schema.getFullName()).isEqualTo("statbridge.v1.ModelStat");
        assertThat(fieldNames(schema)).containsExactly("model_name", "model_version", "stat_date", "slice_key",
                "metric_name", "metric_value", "business_metric_value");
        assertThat(schema.getField("stat_date").schema().getLogicalType()).isEqualTo(LogicalTypes.date());
        assertThat(schema.getField("metric_value").schema().getType()).isEqualTo(Schema.Type.DOUBLE);
        Field business = schema.getField("business_metric_value");
        assertThat(business.schema().getTypes()).extracting(Schema::getType)
                .containsExactly(Schema.Type.NULL, Schema.Type.DOUBLE);
        assertThat(business.defaultVal()).isEqualTo(org.apache.avro.JsonProperties.NULL_VALUE);
    }

    @Test
    void modelStatV2ReplacesMetricNameWithTypeAndKeyAndDropsTheBusinessValue() {
        Schema schema = statbridge.v2.ModelStat.getClassSchema();
        assertThat(schema.getFullName()).isEqualTo("statbridge.v2.ModelStat");
        assertThat(fieldNames(schema)).containsExactly("model_name", "model_version", "stat_date", "slice_key",
                "metric_type", "metric_key", "metric_value");
        assertThat(schema.getField("metric_type").schema().getFullName()).isEqualTo("statbridge.v2.MetricType");
    }

    @Test
    void businessStatV2CarriesANullableBusinessValue() {
        Schema schema = statbridge.v2.BusinessStat.getClassSchema();
        assertThat(schema.getFullName()).isEqualTo("statbridge.v2.BusinessStat");
        assertThat(fieldNames(schema)).containsExactly("model_name", "model_version", "stat_date", "slice_key",
                "metric_type", "metric_key", "business_metric_value");
        assertThat(schema.getField("business_metric_value").schema().isNullable()).isTrue();
    }

    @Test
    void metricTypeHasTheContractSymbolsAndADefault() {
        Schema schema = MetricType.getClassSchema();
        assertThat(schema.getEnumSymbols()).contains("ONLINE", "BUSINESS", "DRIFT");
        assertThat(schema.getEnumDefault()).isNotNull();
        assertThat(schema.getEnumSymbols()).contains(schema.getEnumDefault());
    }

    @Test
    void aReaderBuiltTodayReadsASymbolAddedLaterAsTheDefault() throws Exception {
        // A future writer adds FAIRNESS to MetricType; today's generated class must still read it.
        String future = statbridge.v2.ModelStat.getClassSchema().toString()
                .replace("\"UNKNOWN\"]", "\"UNKNOWN\",\"FAIRNESS\"]");
        Schema writer = new Schema.Parser().parse(future);
        GenericRecord record = new GenericData.Record(writer);
        record.put("model_name", "IntentClassifier");
        record.put("model_version", "v4");
        record.put("stat_date", (int) LocalDate.of(2025, 4, 27).toEpochDay());
        record.put("slice_key", "ALL");
        record.put("metric_type", new GenericData.EnumSymbol(writer.getField("metric_type").schema(), "FAIRNESS"));
        record.put("metric_key", "demographic_parity");
        record.put("metric_value", 0.93);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(record, encoder);
        encoder.flush();

        statbridge.v2.ModelStat read = new SpecificDatumReader<statbridge.v2.ModelStat>(writer,
                statbridge.v2.ModelStat.getClassSchema())
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

        assertThat(read.getMetricType()).isEqualTo(MetricType.valueOf(MetricType.getClassSchema().getEnumDefault()));
        assertThat(read.getMetricKey()).isEqualTo("demographic_parity");
        assertThat(read.getStatDate()).isEqualTo(LocalDate.of(2025, 4, 27));
    }
}
