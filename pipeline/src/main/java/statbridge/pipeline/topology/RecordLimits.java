package statbridge.pipeline.topology;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The largest record each output topic of the upcast accepts: its {@code max.message.bytes},
 * and never more than the producer's {@code max.request.size}. Under exactly-once a record the
 * broker refuses as too large aborts the whole transaction, and the same record would abort it
 * again on every retry; so the processor measures what it forwards first, and dead-letters an
 * upcast too large for its topic, and a dead letter too large for the dead-letter topic without
 * its payload.
 *
 * @param v2 bytes a {@code ModelStat} v2 record may take
 * @param business bytes a {@code BusinessStat} record may take
 * @param deadLetters bytes a dead letter may take
 */
public record RecordLimits(int v2, int business, int deadLetters) {

    private static final Logger LOG = LoggerFactory.getLogger(RecordLimits.class);
    private static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /** A record batch's header, a record's own varints and attributes, with room to spare. */
    private static final int OVERHEAD = 128;

    /** No limit: for topologies driven without a broker. */
    public static RecordLimits unlimited() {
        return new RecordLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /** Reads the topics' limits from the broker. */
    public static RecordLimits read(Map<String, Object> clientConfig, String v2Topic, String businessTopic, String dlqTopic) {
        Object configured = clientConfig.get("producer.max.request.size");
        int request = configured == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(configured.toString());
        Map<String, Object> adminConfig = new HashMap<>();
        clientConfig.forEach((key, value) -> {
            if (!key.startsWith("producer.") && !key.startsWith("consumer.") && !key.startsWith("admin.")) {
                adminConfig.put(key, value);
            }
        });
        adminConfig.keySet().removeIf(key -> !org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(key));
        try (Admin admin = Admin.create(adminConfig)) {
            List<ConfigResource> topics = List.of(topic(v2Topic), topic(businessTopic), topic(dlqTopic));
            Map<ConfigResource, Config> configs = admin.describeConfigs(topics).all().get(60, TimeUnit.SECONDS);
            RecordLimits limits = new RecordLimits(Math.min(request, maxMessageBytes(configs.get(topics.get(0)))),
                    Math.min(request, maxMessageBytes(configs.get(topics.get(1)))),
                    Math.min(request, maxMessageBytes(configs.get(topics.get(2)))));
            LOG.info("largest records the output topics accept: {}", limits);
            return limits;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot read max.message.bytes of " + List.of(v2Topic, businessTopic, dlqTopic), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while reading the topics' limits", e);
        }
    }

    private static ConfigResource topic(String name) {
        return new ConfigResource(ConfigResource.Type.TOPIC, name);
    }

    private static int maxMessageBytes(Config config) {
        ConfigEntry entry = config == null ? null : config.get("max.message.bytes");
        return entry == null || entry.value() == null ? Integer.MAX_VALUE : Integer.parseInt(entry.value());
    }

    /** What a record of this key, value and headers takes in a batch of its own, uncompressed (an upper bound). */
    static long size(byte[] key, byte[] value, Headers headers) {
        long size = OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (headers != null) {
            for (Header header : headers) {
                size += 10 + header.key().length() * 3L + (header.value() == null ? 0 : header.value().length);
            }
        }
        return size;
    }
}
