package statbridge.testing;

/** The fixture's broker as a program of its own, for a container: prints {@code READY bootstrap=...} and serves until stopped. */
public final class KafkaBrokerMain {

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        KafkaBroker broker = KafkaBroker.startInProcess();
        ServerContainer.serveUntilStopped("kafka-broker", broker::close, "bootstrap=" + broker.bootstrapServers());
    }
}
