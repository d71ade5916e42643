package statbridge.sink;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import statbridge.deadletter.DeadLetter;
import statbridge.sink.deadletter.DeadLetterOutbox;

/** A record the sink will not write, and why: it becomes a dead letter once. */
record Rejected(ConsumerRecord<byte[], byte[]> record, String reason, String message) {

    /** The outbox row: recorded in the batch's transaction, sent after it commits. */
    DeadLetterOutbox.Entry entry() {
        return new DeadLetterOutbox.Entry(record.topic(), record.partition(), record.offset(), reason,
                message.length() > DeadLetter.MAX_MESSAGE_LENGTH ? message.substring(0, DeadLetter.MAX_MESSAGE_LENGTH) + "..."
                        : message);
    }
}
