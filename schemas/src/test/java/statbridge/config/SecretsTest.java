package statbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void credentialsInsideUrlsAreHidden() {
        assertThat(Secrets.redact("no schema registry answered GET /schemas/ids/7 at [https://ops:s3cret@registry:8081, http://other:8081]"))
                .isEqualTo("no schema registry answered GET /schemas/ids/7 at [https://[hidden]@registry:8081, http://other:8081]");
        assertThat(Secrets.redact("jdbc:postgresql://db:5432/stats?user=sink&password=p%40ss&ssl=true"))
                .isEqualTo("jdbc:postgresql://db:5432/stats?user=sink&password=[hidden]&ssl=true");
        assertThat(Secrets.redact("jdbc:postgresql://sink:hunter2@db/stats")).isEqualTo("jdbc:postgresql://[hidden]@db/stats");
        assertThat(Secrets.redact("http://token123@registry")).isEqualTo("http://[hidden]@registry");
    }

    @Test
    void credentialsInKeyValueTextAreHidden() {
        assertThat(Secrets.redact("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" password=\"k@fka pw\";"))
                .isEqualTo("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" password=[hidden];");
        assertThat(Secrets.redact("{basic.auth.user.info=ops:s3cret, ssl.truststore.password=changeit, acks=all}"))
                .isEqualTo("{basic.auth.user.info=[hidden], ssl.truststore.password=[hidden], acks=all}");
    }

    @Test
    void redactingTwiceChangesNothingMore() {
        String once = Secrets.redact("cannot write to PostgreSQL at jdbc:postgresql://db/x?password=pw): https://u:p@r");
        assertThat(once).isEqualTo("cannot write to PostgreSQL at jdbc:postgresql://db/x?password=[hidden]): https://[hidden]@r");
        assertThat(Secrets.redact(once)).isEqualTo(once);
    }

    @Test
    void textWithoutCredentialsIsUnchanged() {
        String plain = "SinkApp RETRYING: org.postgresql.util.PSQLException: Connection to 127.0.0.1:5432 refused; http://registry:8081/subjects";
        assertThat(Secrets.redact(plain)).isEqualTo(plain);
        assertThat(Secrets.redact("user@example.com wrote model-stats.v2-3")).isEqualTo("user@example.com wrote model-stats.v2-3");
    }

    @Test
    void aSecretKeyIsHiddenWholeAndOtherValuesKeepWhatIsNotACredential() {
        assertThat(Secrets.visible("jdbc.password", "hunter2")).isEqualTo("[hidden]");
        assertThat(Secrets.visible("schema.registry.url", "https://ops:s3cret@registry")).isEqualTo("https://[hidden]@registry");
        assertThat(Secrets.visible("topic.v2", "model-stats.v2")).isEqualTo("model-stats.v2");
    }
}
