package statbridge.cli;

/** The exit codes CONTRACT.md promises. */
public final class ExitCodes {

    public static final int OK = 0;
    /** The operation ran and found a problem (e.g. a parity mismatch, an incompatible schema), or a service failed. */
    public static final int PROBLEM = 1;
    /** Bad usage or bad input. */
    public static final int BAD_INPUT = 2;

    private ExitCodes() {
    }
}
