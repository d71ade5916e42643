package statbridge.architecture.cycle.b;

import statbridge.architecture.cycle.a.Upstream;

/** The other half of the package cycle that {@code LayeringTest} must refuse. */
public final class Downstream {

    public Upstream back() {
        return new Upstream();
    }
}
