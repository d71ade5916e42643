package statbridge.cli;

import picocli.CommandLine;
import statbridge.config.ConfigurationException;
import statbridge.registry.RegistryUnavailableException;

/**
 * Turns exceptions from a command into one clear line on stderr and the contract's exit code:
 * bad configuration or input is 2, anything else (an unreachable service, a refusal) is 1.
 * Stack traces only with {@code STATBRIDGE_DEBUG=1}.
 */
final class FailureHandler implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + describe(e));
        if ("1".equals(System.getenv("STATBRIDGE_DEBUG"))) {
            e.printStackTrace(commandLine.getErr());
        }
        if (e instanceof ConfigurationException || e instanceof BadInputException) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.PROBLEM;
    }

    private static String describe(Exception e) {
        if (e instanceof RegistryUnavailableException) {
            return "cannot reach the schema registry: " + e.getMessage();
        }
        StringBuilder message = new StringBuilder(e.getMessage() == null ? e.toString() : e.getMessage());
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !message.toString().contains(cause.getMessage())) {
                message.append(": ").append(cause.getMessage());
            }
        }
        if (e instanceof java.sql.SQLException) {
            message.insert(0, "PostgreSQL: ");
        }
        return message.toString();
    }
}
