package statbridge.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import statbridge.registry.server.SchemaRegistryServer;

/**
 * Gives tests real infrastructure as parameters: a {@link KafkaBroker}, a {@link PostgresServer}
 * and a {@link SchemaRegistryServer}. Each is started on first request and shared by every test
 * class of the test run (one JVM), then stopped and deleted when the run ends.
 *
 * <pre>{@code
 * @ExtendWith(RealInfrastructure.class)
 * class SomethingIT {
 *     @BeforeAll static void setUp(KafkaBroker kafka, SchemaRegistryServer registry) { ... }
 * }
 * }</pre>
 */
public final class RealInfrastructure implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RealInfrastructure.class);

    /** Closes a resource when the root context closes, at the end of the run. */
    private record Shared(AutoCloseable resource) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws Exception {
            resource.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KafkaBroker.class || type == PostgresServer.class || type == SchemaRegistryServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        return store.getOrComputeIfAbsent(type, RealInfrastructure::start, Shared.class).resource();
    }

    private static Shared start(Class<?> type) {
        try {
            if (type == KafkaBroker.class) {
                return new Shared(KafkaBroker.start());
            }
            if (type == PostgresServer.class) {
                return new Shared(PostgresServer.start());
            }
            return new Shared(SchemaRegistryServer.startLocal());
        } catch (Exception e) {
            throw new ParameterResolutionException("cannot start " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
