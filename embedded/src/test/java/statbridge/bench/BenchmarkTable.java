package statbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Gathers the figures every benchmark of this run wrote ({@code target/bench/*.txt} of the
 * pipeline, sink and local modules: "figure | value | ceiling | ratio | target" lines) into one
 * Markdown table with the date and the machine, printed and written to
 * {@code embedded/target/bench/benchmarks.md}.
 */
final class BenchmarkTable {

    private BenchmarkTable() {
    }

    static void write(String date) throws IOException {
        List<String> rows = new ArrayList<>();
        for (Path dir : List.of(Path.of("..", "pipeline", "target", "bench"), Path.of("..", "sink", "target", "bench"),
                Path.of("..", "tools", "target", "bench"), Path.of("..", "console", "target", "bench"), Path.of("..", "cli", "target", "bench"), Path.of("target", "bench"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".txt")).sorted().toList()) {
                    for (String line : Files.readAllLines(file)) {
                        String[] cells = line.split("\\|");
                        List<String> row = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            row.add(i < cells.length ? cells[i].strip() : "");
                        }
                        rows.add("| " + String.join(" | ", row) + " |");
                    }
                }
            }
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %s (%d cores, %d GiB), %s, Java %s; "
                + "missing rows mean that benchmark did not run in this invocation.%n%n", date, machine(),
                Runtime.getRuntime().availableProcessors(), totalMemoryGiB(), System.getProperty("os.name") + " "
                        + System.getProperty("os.version"), System.getProperty("java.version")));
        table.append("| figure | value | ceiling (same run) | ratio | target |\n|---|---|---|---|---|\n");
        rows.forEach(row -> table.append(row).append('\n'));
        System.out.println(table);
        Path out = Path.of("target", "bench", "benchmarks.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
    }

    private static String machine() {
        try {
            return Files.readAllLines(Path.of("/etc/os-release")).stream().filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring(13, l.length() - 1)).findFirst().orElse("this machine");
        } catch (IOException e) {
            return "this machine";
        }
    }

    private static long totalMemoryGiB() {
        try {
            String line = Files.readAllLines(Path.of("/proc/meminfo")).get(0);
            return Math.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
