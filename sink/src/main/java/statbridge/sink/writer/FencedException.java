package statbridge.sink.writer;

/**
 * The offsets stored in the database are not the ones this instance expected: another instance
 * has taken over the partitions. The batch is rolled back and the partitions re-read.
 */
public class FencedException extends RuntimeException {

    public FencedException(String message) {
        super(message);
    }
}
