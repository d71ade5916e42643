package statbridge.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Bytes that cannot be read as a Confluent-framed Avro message, with the {@link Problem} that
 * says why. Each problem carries the short, machine-readable reason code used in the
 * {@code statbridge.error.reason} header of dead-lettered records.
 */
public class AvroWireFormatException extends SerializationException {

    /** Every way a framed Avro message can be wrong. */
    public enum Problem {
        /** Fewer than the five header bytes. */
        TOO_SHORT("bad-wire-format"),
        /** Byte 0 is not 0x00. */
        BAD_MAGIC_BYTE("bad-wire-format"),
        /** The registry does not know the schema id. */
        UNKNOWN_SCHEMA_ID("unknown-schema-id"),
        /** The writer's schema cannot be read as the reader's (e.g. a record of another subject). */
        INCOMPATIBLE_SCHEMA("incompatible-schema"),
        /** The registry gives a schema of another type (JSON Schema, Protobuf), with references, or one that does not parse. */
        UNSUPPORTED_SCHEMA("unsupported-schema"),
        /** The Avro body does not decode under the writer's schema, declares more than it holds, or has bytes left over. */
        UNDECODABLE_BODY("bad-wire-format");

        private final String reason;

        Problem(String reason) {
            this.reason = reason;
        }

        /** The dead-letter reason code. */
        public String reason() {
            return reason;
        }
    }

    private final Problem problem;
    private final int schemaId;

    public AvroWireFormatException(Problem problem, String message, int schemaId) {
        super(message);
        this.problem = problem;
        this.schemaId = schemaId;
    }

    public AvroWireFormatException(Problem problem, String message, int schemaId, Throwable cause) {
        super(message, cause);
        this.problem = problem;
        this.schemaId = schemaId;
    }

    public Problem problem() {
        return problem;
    }

    /** The schema id read from the header, or -1 when the header itself was wrong. */
    public int schemaId() {
        return schemaId;
    }
}
