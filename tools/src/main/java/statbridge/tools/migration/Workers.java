package statbridge.tools.migration;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * The migration tools' workers: a few threads taking the items of one queue (months, chunks) until
 * it is empty or one of them failed; the first failure is rethrown to the caller as it was thrown.
 */
public final class Workers {

    /** The work on one item; {@code stopped} says another worker failed, for a task that loops. */
    @FunctionalInterface
    public interface Task<T> {
        void run(T item, BooleanSupplier stopped) throws Exception;
    }

    private Workers() {
    }

    /** Runs {@code task} for every item on up to {@code parallel} threads named {@code name-N}, and waits for them. */
    public static <T> void run(String name, Collection<T> items, int parallel, Task<T> task) throws SQLException {
        Queue<T> queue = new ConcurrentLinkedQueue<>(items);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        BooleanSupplier stopped = () -> failure.get() != null;
        List<Thread> threads = new ArrayList<>();
        int workers = Math.min(parallel, Math.max(1, items.size()));
        for (int w = 0; w < workers; w++) {
            Thread worker = new Thread(() -> {
                try {
                    T item;
                    while (!stopped.getAsBoolean() && (item = queue.poll()) != null) {
                        task.run(item, stopped);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, name + "-" + (w + 1));
            threads.add(worker);
            worker.start();
        }
        try {
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            failure.compareAndSet(null, e);
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
        Throwable failed = failure.get();
        if (failed instanceof SQLException e) {
            throw e;
        } else if (failed instanceof RuntimeException e) {
            throw e;
        } else if (failed instanceof Error e) {
            throw e;
        } else if (failed != null) {
            throw new IllegalStateException("the " + name + " was interrupted", failed);
        }
    }
}
