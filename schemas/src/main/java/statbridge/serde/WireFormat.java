package statbridge.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent Schema Registry wire format: byte 0 is the magic byte {@code 0x00}, bytes 1–4
 * the schema id as a big-endian int32, and the rest the Avro binary body.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0x0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /**
     * The schema id in a framed message.
     *
     * @throws AvroWireFormatException when the bytes are too short or the magic byte is wrong
     */
    public static int schemaId(byte[] message) {
        if (message.length < HEADER_SIZE) {
            throw new AvroWireFormatException(AvroWireFormatException.Problem.TOO_SHORT,
                    "message is " + message.length + " byte(s); the Confluent wire format needs at least "
                            + HEADER_SIZE + " (magic byte + 4-byte schema id)", -1);
        }
        if (message[0] != MAGIC_BYTE) {
            throw new AvroWireFormatException(AvroWireFormatException.Problem.BAD_MAGIC_BYTE,
                    String.format("first byte is 0x%02x, not the magic byte 0x00 of the Confluent wire format", message[0] & 0xff), -1);
        }
        return ByteBuffer.wrap(message, 1, 4).getInt();
    }

    /** Writes the 5-byte header for {@code schemaId} into {@code target} at its start. */
    public static void writeHeader(byte[] target, int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }
}
