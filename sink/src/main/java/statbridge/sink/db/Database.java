package statbridge.sink.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.Properties;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** The connection pool and the schema migrations. */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Opens a pool; connections fail fast (5 s) so an outage is noticed and retried by the caller. */
    public static Database open(DatabaseConfig config, String poolName) {
        Properties extra = new Properties();
        config.hikari().forEach(extra::setProperty);
        HikariConfig hikari = new HikariConfig(extra);
        hikari.setPoolName(poolName);
        hikari.setJdbcUrl(config.jdbcUrl());
        if (config.user() != null) {
            hikari.setUsername(config.user());
        }
        if (config.password() != null) {
            hikari.setPassword(config.password());
        }
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setMinimumIdle(1);
        hikari.setAutoCommit(false);
        hikari.setConnectionTimeout(5_000);
        hikari.setValidationTimeout(2_000);
        hikari.setInitializationFailTimeout(-1);
        hikari.addDataSourceProperty("ApplicationName", poolName);
        return new Database(new HikariDataSource(hikari));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Applies the migrations in {@code db/migration} and returns how many ran. */
    public int migrate() {
        MigrateResult result = Flyway.configure()
                .dataSource(dataSource)
                .schemas("ml_monitoring")
                .createSchemas(true)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        return result.migrationsExecuted;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
