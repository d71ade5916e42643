package statbridge.registry;

import org.apache.avro.Schema;

/** Parses the schema text a registry answers for an id. */
final class AvroSchemas {

    private AvroSchemas() {
    }

    /**
     * @throws UnsupportedSchemaException when the text is not an Avro schema
     */
    static Schema parse(int id, String text) {
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) { // SchemaParseException, or whatever the JSON parser throws on its way
            throw new UnsupportedSchemaException("the schema of id " + id + " does not parse as Avro: " + e.getMessage());
        }
    }
}
