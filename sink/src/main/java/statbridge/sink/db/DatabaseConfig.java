package statbridge.sink.db;

import java.util.Map;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;

/**
 * How to reach PostgreSQL.
 *
 * @param hikari extra HikariCP properties ({@code sink.hikari.*})
 */
public record DatabaseConfig(String jdbcUrl, String user, String password, int poolSize, Map<String, String> hikari) {

    public static DatabaseConfig from(Configuration config) {
        return new DatabaseConfig(config.get(CommonSettings.JDBC_URL), config.get(CommonSettings.JDBC_USER),
                config.get(CommonSettings.JDBC_PASSWORD), config.getInt(DatabaseSettings.POOL_SIZE),
                config.withPrefix(DatabaseSettings.HIKARI_PASS_THROUGH));
    }

    public static DatabaseConfig of(String jdbcUrl) {
        return new DatabaseConfig(jdbcUrl, null, null, 4, Map.of());
    }

    @Override
    public String toString() {
        return "DatabaseConfig[" + statbridge.config.Secrets.redact(jdbcUrl) + ", user=" + user
                + ", pool=" + poolSize + "]";
    }
}
