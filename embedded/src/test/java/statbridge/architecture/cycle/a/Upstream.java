package statbridge.architecture.cycle.a;

import statbridge.architecture.cycle.b.Downstream;

/** One half of a package cycle that {@code LayeringTest} must refuse. */
public final class Upstream {

    public Downstream next() {
        return new Downstream();
    }
}
