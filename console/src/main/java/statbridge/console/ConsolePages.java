package statbridge.console;

import static statbridge.console.Html.escape;

import java.sql.SQLException;
import java.util.Map;

/** The console's pages: the migration page and the Model Health page, and the page of an error. */
final class ConsolePages {

    /** A request the console refuses with 400 and this message. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    private final MigrationPage migration;
    private final ModelHealthPage modelHealth;

    ConsolePages(ConsoleData data, KafkaWatch kafka) {
        this.migration = new MigrationPage(data, kafka);
        this.modelHealth = new ModelHealthPage(data);
    }

    String overview() throws SQLException {
        return migration.render();
    }

    /** The Model Health page of the model, version, slice and dates {@code query} asks for. */
    String model(Map<String, String> query) throws SQLException {
        return modelHealth.render(query);
    }

    static String error(int status, String message) {
        return Html.page("statbridge — " + status, "<section class=\"error\" id=\"error\"><h2>" + status + "</h2><p>" + escape(message)
                + "</p><p><a href=\"/\">the migration page</a> &middot; <a href=\"/model\">Model Health</a></p></section>", false);
    }
}
