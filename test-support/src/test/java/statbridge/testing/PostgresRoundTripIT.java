package statbridge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared PostgreSQL is a real server: it stores, survives a restart, and isolates databases. */
@ExtendWith(RealInfrastructure.class)
class PostgresRoundTripIT {

    @Test
    void rowsSurviveARoundTripAndARestartOfTheServer(PostgresServer postgres) throws Exception {
        String url = postgres.createDatabase("roundtrip");
        String sqlLooking = "accuracy'); DROP TABLE stats; --";
        try (Connection connection = DriverManager.getConnection(url)) {
            try (Statement ddl = connection.createStatement()) {
                ddl.execute("CREATE TABLE stats (name text PRIMARY KEY, day date NOT NULL, value double precision)");
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO stats VALUES (?, ?, ?)")) {
                insert.setString(1, sqlLooking);
                insert.setObject(2, LocalDate.of(2025, 4, 27));
                insert.setDouble(3, 0.93);
                assertThat(insert.executeUpdate()).isEqualTo(1);
            }
            try (Statement query = connection.createStatement();
                    ResultSet version = query.executeQuery("SHOW server_version_num")) {
                version.next();
                assertThat(version.getInt(1)).isGreaterThanOrEqualTo(150000);
            }
        }

        postgres.restart();

        try (Connection connection = DriverManager.getConnection(url);
                Statement query = connection.createStatement();
                ResultSet rows = query.executeQuery("SELECT name, day, value FROM stats")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo(sqlLooking);
            assertThat(rows.getObject(2, LocalDate.class)).isEqualTo(LocalDate.of(2025, 4, 27));
            assertThat(rows.getDouble(3)).isEqualTo(0.93);
            assertThat(rows.next()).isFalse();
        }
        try (Connection other = DriverManager.getConnection(postgres.createDatabase("roundtrip"));
                ResultSet tables = other.getMetaData().getTables(null, "public", "stats", null)) {
            assertThat(tables.next()).as("a fresh database does not see another's tables").isFalse();
        }
    }
}
