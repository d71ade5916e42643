package statbridge.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.deadletter.DeadLetter;
import statbridge.registry.RegistrySettings;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.replay.DeadLetterReplayer;
import statbridge.serde.AvroDeserializer;
import statbridge.topics.TopicReader;

/** {@code statbridge dlq list|replay}: inspect and re-drive dead-lettered records. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Inspect and re-drive the records in the dead-letter topic.",
        subcommands = {DlqCommand.ListRecords.class, DlqCommand.Replay.class})
final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists dead letters: where they sit, the reason and message, the source topic/partition/offset, when, "
                    + "and the payload rendered readably when it decodes.")
    static final class ListRecords implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--reason", paramLabel = "CODE", description = "Only this reason, e.g. unmapped-metric-name.")
        String reason;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "Show at most N (default: ${DEFAULT-VALUE}); counts cover all.")
        int limit;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            List<ConsumerRecord<byte[], byte[]>> shown = new ArrayList<>();
            Map<String, Integer> byReason = new java.util.TreeMap<>();
            java.util.Set<String> replayed = new java.util.HashSet<>();
            long total = TopicReader.readAll(CommonSettings.kafkaClientConfig(config), config.get(CommonSettings.TOPIC_DLQ),
                    Duration.ofMinutes(2), record -> {
                        if (DeadLetterReplayer.isMarker(record)) {
                            replayed.add(DeadLetter.header(record.headers(), DeadLetter.REPLAYED));
                            return;
                        }
                        String why = String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON));
                        if (reason == null || reason.equals(why)) {
                            byReason.merge(why, 1, Integer::sum);
                            if (shown.size() < limit) {
                                shown.add(record);
                            }
                        }
                    });
            try (SchemaRegistryClient registry = SchemaRegistryClients.create(RegistrySettings.clientConfig(config))) {
                AvroDeserializer<GenericRecord> reader = new AvroDeserializer<>(registry, false, Map.of());
                for (ConsumerRecord<byte[], byte[]> record : shown) {
                    out.printf(Locale.ROOT, "%s/%d@%d  %s  %s%n", record.topic(), record.partition(), record.offset(),
                            DeadLetter.header(record.headers(), DeadLetter.REASON), Instant.ofEpochMilli(record.timestamp())
                                    + (replayed.contains(record.topic() + "/" + record.partition() + "/" + record.offset())
                                            ? "  (replayed)" : ""));
                    out.println("  from:    " + DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC) + "/"
                            + DeadLetter.header(record.headers(), DeadLetter.SOURCE_PARTITION) + "@"
                            + DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET) + " ("
                            + DeadLetter.header(record.headers(), DeadLetter.STAGE) + ")");
                    out.println("  why:     " + DeadLetter.header(record.headers(), DeadLetter.MESSAGE));
                    out.println("  key:     " + (record.key() == null ? "(none)" : printable(record.key())));
                    out.println("  payload: " + render(reader, record));
                }
            }
            out.printf(Locale.ROOT, "%,d dead letter(s) in %s%s; %s%s%n", byReason.values().stream().mapToInt(Integer::intValue).sum(),
                    config.get(CommonSettings.TOPIC_DLQ), reason == null ? "" : " with reason " + reason, byReason,
                    replayed.isEmpty() ? "" : "; " + replayed.size() + " replayed");
            if (total > 0 && shown.size() < byReason.values().stream().mapToInt(Integer::intValue).sum()) {
                out.println("(showing the first " + shown.size() + "; --limit shows more)");
            }
            return ExitCodes.OK;
        }

        private static String render(AvroDeserializer<GenericRecord> reader, ConsumerRecord<byte[], byte[]> record) {
            if (record.value() == null) {
                return "(none)";
            }
            try {
                return String.valueOf(reader.deserialize(record.topic(), record.value()));
            } catch (RuntimeException e) {
                return printable(record.value()) + "  (" + record.value().length + " bytes; not a readable Avro record)";
            }
        }

        private static String printable(byte[] bytes) {
            String text = new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.UTF_8);
            StringBuilder shown = new StringBuilder();
            text.codePoints().forEach(c -> shown.append(Character.isISOControl(c) ? "\\u" + String.format("%04x", c) : Character.toString(c)));
            return shown + (bytes.length > 200 ? "..." : "");
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Re-sends selected dead letters to the topic they came from, with their original key, value, timestamp "
                    + "and headers (plus statbridge.replay.of), e.g. after adding a missing catalog entry.")
    static final class Replay implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--reason", paramLabel = "CODE", description = "Only this reason.")
        String reason;

        @Option(names = "--partition", paramLabel = "N", description = "Only this dead-letter partition.")
        Integer partition;

        @Option(names = "--from-offset", paramLabel = "OFFSET", description = "Only dead-letter offsets at or above this.")
        Long fromOffset;

        @Option(names = "--to-offset", paramLabel = "OFFSET", description = "Only dead-letter offsets at or below this.")
        Long toOffset;

        @Option(names = "--dry-run", description = "Count what would be replayed; send nothing.")
        boolean dryRun;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (fromOffset != null && toOffset != null && fromOffset > toOffset) {
                throw new BadInputException("--from-offset " + fromOffset + " is above --to-offset " + toOffset);
            }
            Configuration config = connection.resolve();
            DeadLetterReplayer.Summary summary = DeadLetterReplayer.replay(CommonSettings.kafkaClientConfig(config),
                    config.get(CommonSettings.TOPIC_DLQ), new DeadLetterReplayer.Selection(reason, partition, fromOffset, toOffset),
                    dryRun);
            spec.commandLine().getOut().printf(Locale.ROOT, "%s %,d of %,d dead letter(s): %s%s%s%n", dryRun ? "would replay" : "replayed",
                    summary.replayed(), summary.scanned(), summary.replayedByReason(),
                    summary.alreadyReplayed() > 0 ? "; " + summary.alreadyReplayed() + " replayed before were left" : "",
                    summary.unreplayable() > 0 ? "; " + summary.unreplayable() + " without a source topic or payload were left" : "");
            return ExitCodes.OK;
        }
    }
}
