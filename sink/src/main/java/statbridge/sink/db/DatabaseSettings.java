package statbridge.sink.db;

import statbridge.config.Setting;

/** The connection pool's own key. Besides it, {@code sink.hikari.*} keys pass to HikariCP. */
public final class DatabaseSettings {

    public static final Setting POOL_SIZE = Setting.integer("sink.pool.size", 4, 1, 64, "PostgreSQL connections in the pool.");

    /** Keys that go to the connection pool (HikariCP) as they are, without the prefix. */
    public static final String HIKARI_PASS_THROUGH = "sink.hikari.";

    private DatabaseSettings() {
    }
}
