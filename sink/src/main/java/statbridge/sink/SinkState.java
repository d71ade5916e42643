package statbridge.sink;

/** Where the sink stands, as {@link SinkApp#state()} and its health check report it. */
public enum SinkState {
    /** Joining the group, preparing the database, seeking the first partitions. */
    STARTING,
    /** Writing. */
    RUNNING,
    /** Waiting out a failure of PostgreSQL, the registry or Kafka, with the reason in {@link SinkApp#stateDetail()}. */
    RETRYING,
    /** Closed. */
    STOPPED,
    /** Stopped for good on an unexpected error; the process should exit and be restarted. */
    FAILED
}
