package statbridge.contract;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.avro.Schema;
import statbridge.registry.CompatibilityLevel;

/**
 * The released versions of each contract schema and the compatibility rule of its subject, read
 * from {@code statbridge/avro/history/} on the classpath (the {@code schemas/history} folder).
 */
public final class SchemaHistory {

    /** The rule a subject gets when the history names none. */
    public static final CompatibilityLevel DEFAULT_RULE = CompatibilityLevel.BACKWARD_TRANSITIVE;

    private static final String ROOT = "statbridge/avro/history/";

    private final Properties index;

    private SchemaHistory(Properties index) {
        this.index = index;
    }

    /** Loads the history shipped on the classpath. */
    public static SchemaHistory load() {
        Properties index = new Properties();
        try (InputStream in = resource(ROOT + "history.properties")) {
            index.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schema history index", e);
        }
        return new SchemaHistory(index);
    }

    /** The compatibility rule of the record's subject. */
    public CompatibilityLevel rule(ContractSchema record) {
        String level = index.getProperty(record.fullName() + ".compatibility");
        return level == null ? DEFAULT_RULE : CompatibilityLevel.parse(level);
    }

    /** The released versions of a record, oldest first. */
    public List<Schema> released(ContractSchema record) {
        int count = Integer.parseInt(index.getProperty(record.fullName() + ".versions", "0"));
        List<Schema> versions = new ArrayList<>(count);
        for (int n = 1; n <= count; n++) {
            String path = ROOT + record.fullName() + "/" + n + ".avsc";
            try (InputStream in = resource(path)) {
                versions.add(new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read released schema " + path, e);
            }
        }
        return versions;
    }

    private static InputStream resource(String path) throws IOException {
        InputStream in = SchemaHistory.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IOException("missing classpath resource " + path);
        }
        return in;
    }
}
