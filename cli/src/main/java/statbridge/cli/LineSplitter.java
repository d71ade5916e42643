package statbridge.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Splits raw bytes on '\n' so that each line can be decoded (and refused) on its own, counting lines. */
final class LineSplitter {
    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private int number;
    private boolean eof;

    LineSplitter(InputStream in) {
        this.in = in;
    }

    byte[] next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (position == limit) {
                if (eof) {
                    if (line.size() == 0) {
                        return null;
                    }
                    number++;
                    return line.toByteArray();
                }
                limit = in.read(buffer);
                position = 0;
                if (limit < 0) {
                    limit = 0;
                    eof = true;
                }
                continue;
            }
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            line.write(buffer, start, position - start);
            if (position < limit) {
                position++;
                number++;
                return line.toByteArray();
            }
        }
    }

    int number() {
        return number;
    }
}
