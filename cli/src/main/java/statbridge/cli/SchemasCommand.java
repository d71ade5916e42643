package statbridge.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.contract.ContractSchema;
import statbridge.contract.SchemaEvolution;
import statbridge.contract.SchemaHistory;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.RegisteredSchema;
import statbridge.registry.RegistryClientConfig;
import statbridge.registry.RegistryException;
import statbridge.registry.RegistrySettings;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.serde.SubjectNames;

/** {@code statbridge schemas check|register}: the contract's .avsc files against their history and a registry. */
@Command(name = "schemas",
        description = "Check or register the contract's Avro schemas (ModelStat v1, ModelStat v2, BusinessStat v2).",
        mixinStandardHelpOptions = true,
        subcommands = {SchemasCommand.Check.class, SchemasCommand.Register.class})
final class SchemasCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String subject(Configuration config, ContractSchema record) {
        return SubjectNames.valueSubject(record.topic(config));
    }

    static SchemaRegistryClient client(Configuration config) {
        Map<String, String> registry = new java.util.HashMap<>(RegistrySettings.clientConfig(config));
        registry.putIfAbsent(RegistryClientConfig.MAX_RETRIES, "1");
        registry.putIfAbsent(RegistryClientConfig.CONNECT_TIMEOUT_MS, "3000");
        return SchemaRegistryClients.create(registry);
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {
                "Checks each contract schema against its released versions under its subject's rule "
                        + "(BACKWARD_TRANSITIVE by default), then against the latest version registered in the "
                        + "schema registry. Exit 1 if any schema is incompatible.",
                "When no registry was named and none answers on localhost, only the release history is checked."
            })
    static final class Check implements java.util.concurrent.Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            SchemaHistory history = SchemaHistory.load();
            boolean compatible = true;

            out.println("Against the released history (schemas/history):");
            for (SchemaEvolution.Result result : SchemaEvolution.checkAll(history)) {
                compatible &= report(out, result.record().fullName(), result.rule() + ", "
                        + result.releasedVersions() + " released version(s)", result.problems());
            }

            String url = config.get(CommonSettings.SCHEMA_REGISTRY_URL);
            out.println();
            out.println("Against the schema registry at " + url + ":");
            try (SchemaRegistryClient registry = client(config)) {
                for (ContractSchema record : ContractSchema.values()) {
                    String subject = subject(config, record);
                    Optional<RegisteredSchema> latest = latest(registry, subject);
                    if (latest.isEmpty()) {
                        out.printf("  ok    %-28s %s is not registered yet; 'statbridge schemas register' adds it%n",
                                record.fullName(), subject);
                        continue;
                    }
                    List<String> problems = registry.testCompatibility(subject, record.schema());
                    compatible &= report(out, record.fullName(), subject + " (latest version " + latest.get().version()
                            + ", rule " + registry.getCompatibility(subject).or(() -> registry.getCompatibility(null))
                                    .map(Enum::name).orElse("?") + ")", problems);
                }
            } catch (RegistryUnavailableException e) {
                if (config.isSet(CommonSettings.SCHEMA_REGISTRY_URL)) {
                    throw e;
                }
                out.println("  skipped: no registry answers at " + url
                        + " (start one with 'statbridge up', or name one with --registry)");
            }
            out.println();
            out.println(compatible ? "All schemas are compatible." : "Some schemas are NOT compatible (see above).");
            return compatible ? ExitCodes.OK : ExitCodes.PROBLEM;
        }

        private static Optional<RegisteredSchema> latest(SchemaRegistryClient registry, String subject) {
            try {
                return Optional.of(registry.getLatestVersion(subject));
            } catch (RegistryUnavailableException e) {
                throw e;
            } catch (RegistryException e) {
                if (e.isNotFound()) {
                    return Optional.empty();
                }
                throw e;
            }
        }

        private static boolean report(PrintWriter out, String name, String against, List<String> problems) {
            if (problems.isEmpty()) {
                out.printf("  ok    %-28s compatible with %s%n", name, against);
                return true;
            }
            out.printf("  FAIL  %-28s incompatible with %s:%n", name, against);
            problems.forEach(p -> out.println("          " + p));
            return false;
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = {
                "Registers the contract schemas under their subjects (<topic>-value), first setting each "
                        + "subject's compatibility rule from schemas/history when the subject has none. "
                        + "Registering a schema that is already there changes nothing. Exit 1 if the registry refuses one."
            })
    static final class Register implements java.util.concurrent.Callable<Integer> {

        @Mixin
        ConnectionOptions connection;

        @Option(names = "--compatibility", paramLabel = "LEVEL",
                description = "Rule to set on subjects that have none, instead of the history's (NONE, BACKWARD, "
                        + "BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE).")
        CompatibilityLevel compatibility;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            SchemaHistory history = SchemaHistory.load();
            boolean allRegistered = true;
            try (SchemaRegistryClient registry = client(config)) {
                for (ContractSchema record : ContractSchema.values()) {
                    String subject = subject(config, record);
                    CompatibilityLevel rule = compatibility != null ? compatibility : history.rule(record);
                    if (registry.getCompatibility(subject).isEmpty()) {
                        registry.setCompatibility(subject, rule);
                    }
                    try {
                        int id = registry.register(subject, record.schema());
                        RegisteredSchema registered = registry.lookup(subject, record.schema()).orElseThrow();
                        out.printf("  ok    %-28s %s version %d, schema id %d%n", record.fullName(), subject,
                                registered.version(), id);
                    } catch (RegistryUnavailableException e) {
                        throw e;
                    } catch (RegistryException e) {
                        allRegistered = false;
                        out.printf("  FAIL  %-28s %s refused: %s%n", record.fullName(), subject, e.getMessage());
                    }
                }
            }
            return allRegistered ? ExitCodes.OK : ExitCodes.PROBLEM;
        }
    }
}
