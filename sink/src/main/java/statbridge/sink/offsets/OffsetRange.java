package statbridge.sink.offsets;

/**
 * How one batch moves one partition's stored offset.
 *
 * @param expected the next offset the database holds now, or -1 when it holds none
 * @param next the next offset to store
 */
public record OffsetRange(long expected, long next) {

    /** The range that covers this one and {@code other}: the same start, the further end. */
    public OffsetRange span(OffsetRange other) {
        return new OffsetRange(expected, Math.max(next, other.next));
    }
}
