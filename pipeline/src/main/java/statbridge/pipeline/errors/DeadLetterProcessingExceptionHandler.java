package statbridge.pipeline.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.registry.RegistryException;

/**
 * Kafka Streams' {@code processing.exception.handler} for the pipeline: an exception a record
 * causes that the upcast did not foresee dead-letters that record (its original bytes, reason
 * {@code processing-error}) and the stream goes on, so one record can never stop a stream thread
 * or loop it forever. An exception of Kafka itself, or of an unreachable registry, says nothing
 * about the record: the task fails, its transaction aborts, and the replaced thread retries.
 */
public final class DeadLetterProcessingExceptionHandler implements ProcessingExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingExceptionHandler.class);

    private String dlqTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        dlqTopic = DeadLetterTopics.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (aboutTheInfrastructure(exception)) {
            return Response.fail();
        }
        LOG.atError().setCause(exception).addKeyValue("topic", context.topic()).addKeyValue("partition", context.partition())
                .addKeyValue("offset", context.offset())
                .log("dead-lettering the record at {}-{}@{} (node {}, task {}): processing it failed unexpectedly",
                        context.topic(), context.partition(), context.offset(), context.processorNodeId(), context.taskId());
        ProducerRecord<byte[], byte[]> deadLetter = new ProducerRecord<>(dlqTopic, null, context.timestamp(),
                context.sourceRawKey(), context.sourceRawValue(), DeadLetter.headers(context.headers(), "pipeline",
                        Reasons.PROCESSING_ERROR, exception.toString(), context.topic(), context.partition(), context.offset()));
        return Response.resume(List.of(deadLetter));
    }

    /** Kafka's own exceptions and the registry's answers (an outage, a refused schema) are not the record's fault. */
    static boolean aboutTheInfrastructure(Throwable exception) {
        for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
            if (cause instanceof KafkaException || cause instanceof RegistryException) {
                return true;
            }
        }
        return false;
    }
}
