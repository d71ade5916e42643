-- Dead letters the sink has decided on but not yet seen acknowledged by Kafka. A batch inserts the
-- dead letters of its records in the same transaction as its rows and offsets; once Kafka has
-- acknowledged them, the sink deletes them. A row still here after a crash, an outage or a
-- rebalance is sent by the partition's next owner, unless the dead-letter topic already holds it,
-- so each bad record is dead-lettered once, however often its batch was retried.
CREATE TABLE ml_monitoring.sink_dead_letters (
    consumer_group text NOT NULL,
    topic          text NOT NULL,
    partition      integer NOT NULL,
    "offset"       bigint NOT NULL,
    reason         text NOT NULL,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition, "offset")
);
