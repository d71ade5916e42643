package statbridge.cli;

import statbridge.contract.ValidationSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.contract.ContractSchema;
import statbridge.publish.StatPublisher;
import statbridge.registry.RegistrySettings;

/** {@code statbridge publish}: stats from a CSV or JSON-lines file (or stdin) to Kafka. */
@Command(name = "publish", description = {
    "Publishes stats from a CSV file (with a header line) or JSON lines, or from standard input ('-'), in the "
            + "Confluent wire format to the contract's topics: v1 lines to model-stats.v1; v2 lines to model-stats.v2 and, "
            + "when they carry business_metric_value (empty or null withdraws the KPI), to model-business-stats.v2.",
    "v1 columns: model_name,model_version,stat_date,slice_key,metric_name,metric_value[,business_metric_value]",
    "v2 columns: model_name,model_version,stat_date,slice_key,metric_type,metric_key,metric_value[,business_metric_value]",
    "Every line is checked before anything is sent; a bad line is reported with its number and reason and nothing "
            + "of it is sent; good lines are sent. Exit 2 if any line was refused."},
        footer = {"", "Example:", "  statbridge publish --version v1 stats.csv",
            "  some-job --emit-jsonl | statbridge publish --version v2 -"})
final class PublishCommand implements Callable<Integer> {

    private static final int REFUSALS_SHOWN = 100;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--version", required = true, paramLabel = "v1|v2", converter = VersionConverter.class,
            description = "The record version the lines describe.")
    StatLines.Version version;

    @Option(names = "--format", paramLabel = "csv|json", description = "Input format (default: from the file name's extension "
            + ".csv/.json/.jsonl/.ndjson, else JSON when the first line starts with '{', CSV otherwise).")
    StatLines.Format format;

    @Option(names = "--dry-run", description = "Check every line and report; send nothing.")
    boolean dryRun;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "The input file, or '-' for standard input.")
    String input;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Configuration config = connection.resolve();
        StatLines lines = new StatLines(version, ValidationSettings.limits(config));
        Map<String, AtomicLong> recordsByTopic = new TreeMap<>();
        AtomicLong acceptedLines = new AtomicLong();
        AtomicLong refusedLines = new AtomicLong();
        AtomicLong failedSends = new AtomicLong();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        Map<ContractSchema, String> topics = new EnumMap<>(ContractSchema.class);
        for (ContractSchema record : ContractSchema.values()) {
            topics.put(record, record.topic(config));
        }
        StatPublisher publisher = dryRun ? null
                : StatPublisher.create(CommonSettings.kafkaClientConfig(config), RegistrySettings.clientConfig(config), topics,
                        ValidationSettings.limits(config));
        try (InputStream in = open(); StatPublisher closing = publisher) {
            lines.read(in, format == null ? formatFromName() : format, new StatLines.Handler() {
                @Override
                public void accepted(int line, List<SpecificRecord> records) {
                    acceptedLines.incrementAndGet();
                    for (SpecificRecord record : records) {
                        recordsByTopic.computeIfAbsent(topics.get(ContractSchema.of(record.getSchema())), t -> new AtomicLong())
                                .incrementAndGet();
                        if (publisher != null) {
                            publisher.publish(record).whenComplete((metadata, error) -> {
                                if (error != null) {
                                    failedSends.incrementAndGet();
                                    firstFailure.compareAndSet(null, error);
                                }
                            });
                        }
                    }
                }

                @Override
                public void refused(int line, String reason) {
                    if (refusedLines.incrementAndGet() <= REFUSALS_SHOWN) {
                        err.println("line " + line + ": " + reason);
                    }
                }
            });
            if (publisher != null) {
                publisher.flush();
            }
        } catch (StatLines.BadHeaderException e) {
            throw new BadInputException(source() + ": " + e.getMessage() + "; nothing was published");
        }
        if (refusedLines.get() > REFUSALS_SHOWN) {
            err.printf(Locale.ROOT, "(%,d more refused line(s) not shown)%n", refusedLines.get() - REFUSALS_SHOWN);
        }
        StringBuilder perTopic = new StringBuilder();
        recordsByTopic.forEach((topic, count) -> perTopic.append(perTopic.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%,d to %s", count.get(), topic)));
        out.printf(Locale.ROOT, "%s: %s %,d line(s)%s; refused %,d line(s)%n", source(), dryRun ? "would publish" : "published",
                acceptedLines.get(), perTopic.length() == 0 ? "" : " (" + perTopic + ")", refusedLines.get());
        err.flush();
        out.flush();
        if (failedSends.get() > 0) {
            err.printf(Locale.ROOT, "%,d record(s) could not be sent: %s%n", failedSends.get(), firstFailure.get().getMessage());
            return ExitCodes.PROBLEM;
        }
        return refusedLines.get() > 0 ? ExitCodes.BAD_INPUT : ExitCodes.OK;
    }

    private InputStream open() throws IOException {
        if (input.equals("-")) {
            return System.in;
        }
        try {
            return Files.newInputStream(Path.of(input));
        } catch (NoSuchFileException e) {
            throw new BadInputException("no such file: " + input);
        }
    }

    private String source() {
        return input.equals("-") ? "standard input" : input;
    }

    private StatLines.Format formatFromName() {
        String name = input.toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return StatLines.Format.CSV;
        }
        if (name.endsWith(".json") || name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return StatLines.Format.JSON;
        }
        return null;
    }

    /** Accepts v1/V1/1 and v2/V2/2. */
    static final class VersionConverter implements picocli.CommandLine.ITypeConverter<StatLines.Version> {
        @Override
        public StatLines.Version convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "v1", "1" -> StatLines.Version.V1;
                case "v2", "2" -> StatLines.Version.V2;
                default -> throw new picocli.CommandLine.TypeConversionException("expected v1 or v2, not '" + value + "'");
            };
        }
    }
}
