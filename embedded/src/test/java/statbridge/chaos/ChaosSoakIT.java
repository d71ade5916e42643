package statbridge.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The chaos soak. By default a short run (about a minute of faults, at least 20); longer with
 * {@code -Dsoak.minutes=15 -Dsoak.faults=100}; {@code -Dsoak.seed=N} repeats a run; {@code -Dsoak.rate} sets the
 * events per second (default 100) and {@code -Dsoak.interval.ms} the mean pause between faults.
 */
class ChaosSoakIT {

    @Test
    void nothingIsLostDuplicatedOrWrongUnderFaults() throws Exception {
        long seed = Long.getLong("soak.seed", System.currentTimeMillis() % 100_000);
        double minutes = Double.parseDouble(System.getProperty("soak.minutes", "1"));
        int faults = Integer.getInteger("soak.faults", 20);
        Duration duration = Duration.ofMillis((long) (minutes * 60_000));
        Duration interval = Duration.ofMillis(Long.getLong("soak.interval.ms", Math.max(1000, duration.toMillis() / (faults + 4) / 2)));
        Path dir = Files.createDirectories(Path.of("target", "chaos", "seed-" + seed)).toAbsolutePath();
        System.out.println("chaos soak: seed " + seed + ", " + duration + ", at least " + faults + " faults; logs in " + dir);

        ChaosSoak.Summary summary = new ChaosSoak(new ChaosSoak.Options(seed, duration, interval, faults,
                Integer.getInteger("soak.rate", 100), dir)).run();

        System.out.println(summary.line());
        Files.writeString(dir.resolve("summary.txt"), summary.line() + "\n" + String.join("\n", summary.examples()) + "\n");
        assertThat(summary.totalFaults()).as("faults injected (seed %d)", seed).isGreaterThanOrEqualTo(faults);
        assertThat(summary.faults()).as("every kind of fault (seed %d)", seed).hasSize(ChaosSoak.Fault.values().length);
        assertThat(summary.rowsChecked()).as("rows checked").isGreaterThan(1000);
        assertThat(summary.clean()).as("%s%nrepeat with -Dsoak.seed=%d; first findings:%n%s", summary.line(), seed,
                String.join("\n", summary.examples())).isTrue();
    }
}
