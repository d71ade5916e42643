package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static List<Long> waits(Backoff backoff, int attempts) {
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            waits.add(backoff.next());
        }
        return waits;
    }

    @Test
    void theWaitDoublesFromAQuarterSecondUpToTheCeiling() {
        assertThat(waits(new Backoff(3_000), 6)).containsExactly(250L, 500L, 1_000L, 2_000L, 3_000L, 3_000L);
    }

    @Test
    void aSuccessStartsTheWaitOver() {
        Backoff backoff = new Backoff(30_000);
        waits(backoff, 4);
        backoff.reset();
        assertThat(waits(backoff, 2)).containsExactly(250L, 500L);
    }

    @Test
    void peekingDoesNotCountAFailure() {
        Backoff backoff = new Backoff(30_000);
        backoff.next();
        assertThat(backoff.peek()).isEqualTo(500L);
        assertThat(backoff.next()).isEqualTo(500L);
    }

    @Test
    void aCeilingBelowTheFirstWaitIsRefused() {
        assertThatThrownBy(() -> new Backoff(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the longest wait must be at least 250 ms, not 100");
    }
}
