package statbridge.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statbridge.config.Configuration;
import statbridge.console.ConsoleServer;
import statbridge.console.ConsoleSettings;

/** {@code statbridge console}: the read-only web page of the migration and of both shapes' charts. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {
            "Serves the console until Ctrl-C or SIGTERM: a read-only web page with the dual-write mode, the grace period, the last "
                    + "parity check, the readers of the legacy shape and whether retire would pass, silent series with their "
                    + "explanations, dead letters by reason (last 24 hours), lag and rates, and the dual-write history, each with the "
                    + "command that changes or explains it; and Model Health: a model's metrics charted from the legacy shape and "
                    + "from the new tables side by side, with a badge saying whether the two are identical.",
            "It reads PostgreSQL as the role statbridge_console (a member of ml_monitoring_reader that can also read the "
                    + "migration's status tables, and write nothing), so its login must be a member of that role. It listens on "
                    + "127.0.0.1 unless --bind says otherwise, and then only with console.auth.user and console.auth.password."
        })
final class ConsoleCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--console-port", paramLabel = "PORT",
            description = "Port, or the next free one; 0 picks any (default: console.port, else 8088).")
    Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: console.bind, else 127.0.0.1).")
    String bind;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Configuration config = ConsoleSettings.withFlags(connection.resolve(), port, bind);
        config.validate(ConsoleSettings.all());
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        ConsoleServer console;
        try {
            console = ConsoleServer.start(config);
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("statbridge console: " + e.getMessage());
            return e instanceof statbridge.console.ConsoleData.Unreachable ? ExitCodes.PROBLEM : ExitCodes.BAD_INPUT;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.close();
            stopped.countDown();
        }, "statbridge-console-shutdown"));
        if (console.login().superuser() || console.login().canWrite()) {
            spec.commandLine().getErr().println("statbridge console: warning: it logs in as " + console.login().user()
                    + ", which can write; it reads as statbridge_console, but a login that is only a member of that role cannot "
                    + "write at all: CREATE ROLE console_login LOGIN PASSWORD '...' IN ROLE statbridge_console");
            spec.commandLine().getErr().flush();
        }
        out.println("console=" + console.url());
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
