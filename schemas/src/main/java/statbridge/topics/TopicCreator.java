package statbridge.topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the statbridge topics that do not exist yet, with the settings each needs. */
public final class TopicCreator {

    private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);

    /** The catalog keeps the latest entry per metric name, forever. */
    public static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");
    /** Dead letters are kept until someone deals with them. */
    public static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");

    private TopicCreator() {
    }

    /** One topic to ensure. */
    public record Spec(String name, Map<String, String> configs) {
    }

    /**
     * Creates every topic in {@code specs} that is missing, with {@code partitions} partitions
     * (the catalog always gets one) and {@code replication} replicas; existing topics are left as
     * they are.
     */
    public static void ensure(Map<String, Object> adminConfig, List<Spec> specs, int partitions, short replication) {
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (Spec spec : specs) {
                if (!existing.contains(spec.name())) {
                    int count = COMPACTED.equals(spec.configs()) ? 1 : partitions;
                    missing.add(new NewTopic(spec.name(), count, replication).configs(spec.configs()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            try {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
                LOG.info("created topics {}", missing.stream().map(NewTopic::name).toList());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topics " + missing.stream().map(NewTopic::name).toList()
                            + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + adminConfig.get("bootstrap.servers") + " to create topics: "
                    + (e.getCause() == null ? e : e.getCause()).toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
