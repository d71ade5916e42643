package statbridge.tools.migration;

import java.time.YearMonth;
import statbridge.sink.db.Partitions;

/**
 * Where an import run stands ({@link ImportRuns} keeps it).
 *
 * @param stagedRows rows of its stage table, or -1 before it is staged
 * @param stageBlocks the blocks of its stage table (a chunk is a range of them)
 */
record ImportRun(long id, int chunkSize, long stagedRows, long stageBlocks, boolean resumed) {

    String stage() {
        return "ml_monitoring.import_stage_" + id;
    }

    /** The stage's blocks a chunk covers: as many as hold about {@code chunkSize} rows. */
    long chunkBlocks() {
        if (stagedRows <= 0 || stageBlocks <= 0) {
            return 1;
        }
        return Math.max(1, (long) Math.ceil((double) chunkSize * stageBlocks / stagedRows));
    }

    int chunks() {
        return (int) ((stageBlocks + chunkBlocks() - 1) / chunkBlocks());
    }

    /** The table (in {@code ml_monitoring}) this run builds {@code table}'s partition for {@code month} in. */
    String built(String table, YearMonth month) {
        return "import_" + id + "_" + Partitions.partitionName(table, month);
    }

    /** What a committed chunk counted. */
    record Counts(long read, long written, long skipped) {

        Counts plus(Counts other) {
            return new Counts(read + other.read, written + other.written, skipped + other.skipped);
        }
    }
}
