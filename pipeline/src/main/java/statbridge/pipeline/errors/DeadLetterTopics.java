package statbridge.pipeline.errors;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;

/** The handlers learn the dead-letter topic from Kafka Streams' own key for it (KIP-1034). */
final class DeadLetterTopics {

    private DeadLetterTopics() {
    }

    static String from(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (topic == null || topic.toString().isBlank()) {
            throw new IllegalArgumentException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                    + " must name the dead-letter topic");
        }
        return topic.toString();
    }
}
