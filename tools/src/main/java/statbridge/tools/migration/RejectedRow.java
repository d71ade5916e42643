package statbridge.tools.migration;

/**
 * A source row an import refused: its key as {@code model/version/date/slice/metric_name}, the
 * reason (a code such as {@code invalid-field}) and the message.
 */
public record RejectedRow(String key, String reason, String message) {
}
