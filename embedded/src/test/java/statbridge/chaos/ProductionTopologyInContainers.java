package statbridge.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The production topology in containers (the {@code containers} profile, after deploy/build-image.sh):
 * {@code statbridge up --infra-only} on this host for Kafka, the registry and PostgreSQL; compose's
 * set-up services, then its two pipeline and two sink containers of the statbridge image, with
 * compose's settings; v1 and v2 events published at a steady rate while pipeline and sink containers
 * are killed (SIGKILL) and stopped (SIGTERM) and started again, and dual-write switched. Then both
 * table shapes, the v2 topics and the dead letters are checked against what Kafka acknowledged, as
 * the chaos soak checks its processes.
 */
class ProductionTopologyInContainers {

    @Test
    void containersOfTheImageKeepBothShapesExactThroughKillsAndRestarts() throws Exception {
        long seed = Long.getLong("soak.seed", System.currentTimeMillis() % 100_000);
        EnumSet<ChaosSoak.Fault> faults = EnumSet.of(ChaosSoak.Fault.KILL_PIPELINE, ChaosSoak.Fault.KILL_SINK,
                ChaosSoak.Fault.TERM_PIPELINE, ChaosSoak.Fault.TERM_SINK, ChaosSoak.Fault.DUAL_WRITE_SWITCH);
        Path dir = Files.createDirectories(Path.of("target", "containers", "seed-" + seed)).toAbsolutePath();
        System.out.println("production topology in containers: seed " + seed + "; logs in " + dir);

        ChaosSoak.Summary summary = new ChaosSoak(new ChaosSoak.Options(seed, Duration.ofSeconds(60), Duration.ofSeconds(6), 8, 100,
                dir, faults, new ContainerDeployment())).run();

        System.out.println(summary.line());
        Files.writeString(dir.resolve("summary.txt"), summary.line() + "\n" + String.join("\n", summary.examples()) + "\n");
        assertThat(summary.faults()).as("every kind of fault the run injects (seed %d)", seed).containsOnlyKeys(faults);
        assertThat(summary.faults().get(ChaosSoak.Fault.KILL_PIPELINE)).as("pipeline containers killed").isPositive();
        assertThat(summary.faults().get(ChaosSoak.Fault.KILL_SINK)).as("sink containers killed").isPositive();
        assertThat(summary.rowsChecked()).as("rows checked").isGreaterThan(1000);
        assertThat(summary.clean()).as("%s%nrepeat with -Dsoak.seed=%d; first findings:%n%s", summary.line(), seed,
                String.join("\n", summary.examples())).isTrue();
    }
}
