package statbridge.config;

import java.util.Locale;

/** Recognises configuration keys whose values must never be logged or printed. */
public final class Secrets {

    private Secrets() {
    }

    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
                || k.contains("credentials") || k.contains("token") || k.endsWith(".key");
    }
}
