package statbridge.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Stands for {@code up} or {@code demo} in a build without the local stack (the production jar
 * and image): says where to find them instead of "unknown command".
 */
@Command(description = "Not in this build: the production artifacts carry no Kafka broker and no PostgreSQL. "
        + "Run it from a source checkout (./statbridge ...).")
final class NotInThisBuild implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(hidden = true)
    java.util.List<String> ignored;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("statbridge " + spec.name() + ": not in this build. The production jar and image "
                + "carry no embedded Kafka broker or PostgreSQL; run 'statbridge " + spec.name() + "' from a source checkout "
                + "(./statbridge " + spec.name() + "), or point 'statbridge pipeline' and 'statbridge sink' at your own Kafka, "
                + "registry and PostgreSQL.");
        return ExitCodes.BAD_INPUT;
    }
}
