package statbridge.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One line of CSV, read by Jackson's CSV parser, with the reasons statbridge has always given for a broken quote. */
class CsvLineTest {

    private static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        assertThat(CsvLine.split(line, cells)).as(line).isEmpty();
        return cells;
    }

    private static Optional<String> problem(String line) {
        return CsvLine.split(line, new ArrayList<>());
    }

    @Test
    void cellsByRfc4180() {
        assertThat(cells("a,b,c")).containsExactly("a", "b", "c");
        assertThat(cells("\"x,y\",z")).containsExactly("x,y", "z");
        assertThat(cells("\"say \"\"hi\"\"\",d")).containsExactly("say \"hi\"", "d");
        assertThat(cells("a,,")).containsExactly("a", "", "");
        assertThat(cells("")).containsExactly("");
        assertThat(cells("\"\",x")).containsExactly("", "x");
        assertThat(cells("a, b")).containsExactly("a", " b");
        assertThat(cells("śląsk,ü")).containsExactly("śląsk", "ü");
    }

    @Test
    void aBrokenQuoteIsReportedWithItsColumn() {
        assertThat(problem("a,\"open,x")).contains("a quoted field in column 2 is not closed");
        assertThat(problem("a,b,\"abc\"def,x")).contains("text after the closing quote in column 3");
    }

    @Test
    void whatItWritesItReadsBack() {
        assertThat(CsvLine.render("metric_name", "metric_type", "metric_key")).isEqualTo("metric_name,metric_type,metric_key");
        assertThat(CsvLine.render("ctr, weekly", "BUSINESS", "say \"hi\"")).isEqualTo("\"ctr, weekly\",BUSINESS,\"say \"\"hi\"\"\"");
        assertThat(cells(CsvLine.render("ctr, weekly", "BUSINESS", "say \"hi\""))).containsExactly("ctr, weekly", "BUSINESS", "say \"hi\"");
    }
}
