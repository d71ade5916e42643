package statbridge.chaos;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where the soak's pipelines and sinks run and with which settings: as processes of this machine
 * ({@link ProcessDeployment}) or as containers of the statbridge image ({@link ContainerDeployment}).
 * The soak starts and breaks them through this, and checks what they wrote the same way for both.
 */
interface Deployment extends AutoCloseable {

    /** The consumer group of the pipelines (their Kafka Streams application id). */
    String pipelineGroup();

    /** The consumer group of the sinks. */
    String sinkGroup();

    /** How many pipelines and how many sinks share the work. */
    int replicas();

    /**
     * Sets up what the components need once the infrastructure is up, on {@code kafka}, {@code registry}
     * and {@code jdbc} (the infrastructure's own database, as its superuser); called once, before the
     * first component starts (a restart of the infrastructure keeps its addresses and data).
     *
     * @return the JDBC URL of the database the sinks write, for the soak's checks
     */
    String prepare(String kafka, String registry, String jdbc, Path dir) throws Exception;

    /** Starts instance {@code instance} of {@code kind} ({@code pipeline} or {@code sink}). */
    Component start(String kind, int instance) throws IOException;

    /** Removes whatever the deployment left behind once the soak has stopped its components. */
    @Override
    default void close() throws Exception {
    }

    /** One running pipeline or sink. */
    interface Component {

        /** SIGKILL. */
        void kill() throws IOException, InterruptedException;

        /** SIGTERM: a clean shutdown. */
        void terminate() throws IOException, InterruptedException;

        /** Waits until it has exited; false if it had not within {@code timeout}. */
        boolean waitFor(Duration timeout) throws InterruptedException;
    }
}
