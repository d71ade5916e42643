package statbridge.sink.dualwrite;

/** Dual-write cannot be switched off: the two shapes disagree (use force to override, which is recorded). */
public class ParityMismatchException extends RuntimeException {

    private final ParityResult result;

    public ParityMismatchException(ParityResult result) {
        super("refusing to switch dual-write off: the legacy table and the new tables disagree: " + result
                + ". Backfill or fix the difference (statbridge verify shows it), or force the switch.");
        this.result = result;
    }

    public ParityResult result() {
        return result;
    }
}
