package statbridge.serde;

import org.apache.avro.util.ClassSecurityValidator;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/**
 * Avro (1.12.2 and later) loads a class named in a schema only when it is trusted. The classes
 * generated from the contract's schemas are the only ones statbridge reads or writes as specific
 * records, so they are added to whatever else the process trusts (Avro's defaults and the
 * {@code org.apache.avro.SERIALIZABLE_*} system properties); no other class named by a schema that
 * arrives from the registry is loaded.
 */
final class TrustedClasses {

    static {
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(),
                ClassSecurityValidator.builder().add(statbridge.v1.ModelStat.class).add(statbridge.v2.ModelStat.class)
                        .add(BusinessStat.class).add(MetricType.class).build()));
    }

    private TrustedClasses() {
    }

    /** Makes sure the contract's classes are trusted (the first call does it, the others nothing). */
    static void ensure() {
        // the static initialiser above runs once, on the first call
    }
}
