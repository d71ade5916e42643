package statbridge.sink.writer;

/**
 * Rows one batch wrote, per table.
 *
 * @param dualWrite whether the batch wrote the legacy table (the dual-write state it read)
 */
public record BatchResult(int statRows, int businessRows, int businessWithdrawn, int legacyRows, boolean dualWrite,
        long writeSeq) {

    public int total() {
        return statRows + businessRows + businessWithdrawn + legacyRows;
    }
}
