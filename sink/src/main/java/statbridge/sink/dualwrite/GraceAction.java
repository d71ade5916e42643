package statbridge.sink.dualwrite;

/** What happens when the dual-write grace period ends. */
public enum GraceAction {
    /** Switch dual-write off automatically, if the parity check passes (else warn). */
    SWITCH_OFF,
    /** Keep writing both shapes and warn until a person decides. */
    WARN
}
