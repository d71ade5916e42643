package statbridge.sink.catalog;

/**
 * The catalog topic and {@code ml_monitoring.metric_catalog} (or the topic and itself) map a name
 * or a {@code (metric_type, metric_key)} pair differently. The sink stops on it: writing on would
 * rebuild legacy rows under the wrong names. Not an {@link IllegalStateException}, so that no
 * retry loop mistakes it for a passing failure.
 */
public final class CatalogDivergenceException extends RuntimeException {

    public CatalogDivergenceException(String message) {
        super(message);
    }
}
