package statbridge.contract;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Decodes record keys strictly: they are UTF-8 strings, nearly always ASCII. Not thread-safe: one per thread. */
public final class RecordKeys {

    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);

    /**
     * @return the key, or null for a null key
     * @throws CharacterCodingException when the bytes are not valid UTF-8
     */
    public String decode(byte[] key) throws CharacterCodingException {
        if (key == null) {
            return null;
        }
        for (byte b : key) {
            if (b < 0) {
                return utf8.decode(ByteBuffer.wrap(key)).toString();
            }
        }
        return new String(key, StandardCharsets.US_ASCII);
    }
}
