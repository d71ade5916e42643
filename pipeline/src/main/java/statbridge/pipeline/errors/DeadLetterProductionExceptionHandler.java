package statbridge.pipeline.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;

/**
 * Kafka Streams' {@code production.exception.handler} for the pipeline. A record its topic
 * refuses as too large becomes a dead letter without the payload: the reason, the source
 * coordinates and the size. Every other send failure fails the task (the transaction aborts and
 * is retried), as Kafka Streams does by default.
 *
 * <p>Under {@code exactly_once_v2} a refused send has already doomed the transaction, so there the
 * upcast processor measures each record against {@code RecordLimits} before it forwards it, and
 * this handler only serves a pipeline run at least once ({@code pipeline.streams.processing.guarantee}).
 */
public final class DeadLetterProductionExceptionHandler implements ProductionExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionExceptionHandler.class);

    private String dlqTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        dlqTopic = DeadLetterTopics.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (!(exception instanceof RecordTooLargeException)) {
            return Response.fail();
        }
        int size = record.value() == null ? 0 : record.value().length;
        boolean deadLetter = record.topic().equals(dlqTopic);
        String reason = deadLetter ? String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON)) : Reasons.RECORD_TOO_LARGE;
        String message = (deadLetter ? DeadLetter.header(record.headers(), DeadLetter.MESSAGE) + "; " : "the record for "
                + record.topic() + " ") + "(" + size + " bytes) is larger than " + record.topic() + " accepts ("
                + exception.getMessage() + "): its payload was dropped; read it from the source coordinates while they are kept";
        LOG.atWarn().addKeyValue("topic", context.topic()).addKeyValue("partition", context.partition())
                .addKeyValue("offset", context.offset())
                .log("dead-lettering {}-{}@{} without its payload: {}", context.topic(), context.partition(), context.offset(), message);
        return Response.resume(List.of(DeadLetter.withoutPayload(dlqTopic, record.key(), record.value(), record.timestamp(),
                "pipeline", reason, message, context.topic(), context.partition(), context.offset())));
    }
}
