package statbridge.registry;

/**
 * The registry answered with a schema statbridge cannot read: another schema type (JSON Schema,
 * Protobuf), an Avro schema that uses references, or text that does not parse as Avro. Like a
 * missing id this is a fact about the schema id, so a message framed with it is dead-lettered.
 */
public class UnsupportedSchemaException extends RegistryException {

    public UnsupportedSchemaException(String message) {
        super(422, INVALID_SCHEMA, message);
    }
}
