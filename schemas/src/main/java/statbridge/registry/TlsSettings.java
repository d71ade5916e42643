package statbridge.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Trust and key stores for talking to a registry over TLS, read from the same
 * {@code ssl.truststore.*} / {@code ssl.keystore.*} keys Kafka clients use, under a prefix.
 */
public record TlsSettings(
        String truststoreLocation, String truststorePassword, String truststoreType,
        String keystoreLocation, String keystorePassword, String keystoreType, String keyPassword) {

    /** Reads the settings under {@code prefix}, or empty when neither store is configured. */
    public static Optional<TlsSettings> fromMap(Map<String, ?> configs, String prefix) {
        String truststore = RegistryClientConfig.string(configs, prefix + "truststore.location").orElse(null);
        String keystore = RegistryClientConfig.string(configs, prefix + "keystore.location").orElse(null);
        if (truststore == null && keystore == null) {
            return Optional.empty();
        }
        return Optional.of(new TlsSettings(
                truststore,
                RegistryClientConfig.string(configs, prefix + "truststore.password").orElse(null),
                RegistryClientConfig.string(configs, prefix + "truststore.type").orElse(KeyStore.getDefaultType()),
                keystore,
                RegistryClientConfig.string(configs, prefix + "keystore.password").orElse(null),
                RegistryClientConfig.string(configs, prefix + "keystore.type").orElse(KeyStore.getDefaultType()),
                RegistryClientConfig.string(configs, prefix + "key.password").orElse(null)));
    }

    /** Builds the SSL context these stores describe. */
    public SSLContext sslContext() {
        try {
            TrustManagerFactory tmf = null;
            if (truststoreLocation != null) {
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(load(truststoreLocation, truststorePassword, truststoreType));
            }
            KeyManagerFactory kmf = null;
            if (keystoreLocation != null) {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPass = keyPassword != null ? keyPassword : keystorePassword;
                kmf.init(load(keystoreLocation, keystorePassword, keystoreType),
                        keyPass == null ? null : keyPass.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for the schema registry: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String location, String password, String type) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, password == null ? null : password.toCharArray());
        }
        return store;
    }

    @Override
    public String toString() {
        return "TlsSettings[truststore=" + truststoreLocation + ", keystore=" + keystoreLocation + ", passwords=[hidden]]";
    }
}
