package statbridge.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code statbridge config reference|show}: what can be configured, and what is configured. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Show the configuration reference, or the configuration in effect.",
        subcommands = {ConfigCommand.Reference.class, ConfigCommand.Show.class})
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "reference", mixinStandardHelpOptions = true,
            description = "Prints every configuration key with its environment variable, default and meaning (Markdown).")
    static final class Reference implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(ConfigReference.markdown());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Prints each setting's value in effect and where it came from (file, environment, flag or default); secrets hidden.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = connection.resolve();
            for (var setting : ConfigReference.settings()) {
                String value = statbridge.config.Secrets.visible(setting.key(), config.get(setting));
                spec.commandLine().getOut().printf("%-36s %-40s (%s)%n", setting.key(), value, config.origin(setting));
            }
            config.describe().forEach((key, value) -> {
                if (ConfigReference.settings().stream().noneMatch(s -> s.key().equals(key))) {
                    spec.commandLine().getOut().printf("%-36s %-40s (pass-through)%n", key, value);
                }
            });
            return ExitCodes.OK;
        }
    }
}
