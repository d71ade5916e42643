package statbridge.sink.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time by part of a benchmark run, from {@code /proc}: the process under test (the sink or its
 * peer), every PostgreSQL process (the server and its backends), and this JVM, which runs the Kafka
 * broker (and, far less, the benchmark's own polling).
 */
public final class Cpu {

    /** Clock ticks of each part at one moment. */
    record Snapshot(long component, long postgres, long broker) {
    }

    /** CPU seconds of each part between two snapshots. */
    record Seconds(double component, double postgres, double broker) {
        /** As {@code name X s, PostgreSQL Y s, broker Z s per 1,000,000 events}. */
        String per(String name, long events) {
            double scale = 1_000_000.0 / events;
            return String.format(java.util.Locale.ROOT, "%s %.1f s, PostgreSQL %.1f s, broker %.1f s", name, component * scale,
                    postgres * scale, broker * scale);
        }
    }

    /** Clock ticks a second. */
    public static final double TICKS = ticksPerSecond();

    private Cpu() {
    }

    static Snapshot snapshot(long pid) {
        return new Snapshot(ticks(pid), postgresTicks(), ticks(ProcessHandle.current().pid()));
    }

    static Seconds since(Snapshot before, long pid) {
        Snapshot now = snapshot(pid);
        return new Seconds((now.component() - before.component()) / TICKS, (now.postgres() - before.postgres()) / TICKS,
                (now.broker() - before.broker()) / TICKS);
    }

    /** utime + stime of a process, in clock ticks (0 once it has gone). */
    public static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime of every PostgreSQL process, in clock ticks ({@link #TICKS} a second). */
    public static long postgresTicks() {
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            return processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).mapToLong(p -> {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    return stat.contains("(postgres)") ? ticks(Long.parseLong(p.getFileName().toString())) : 0;
                } catch (IOException | RuntimeException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static double ticksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            return Double.parseDouble(new String(getconf.getInputStream().readAllBytes()).strip());
        } catch (IOException | RuntimeException e) {
            return 100;
        }
    }
}
