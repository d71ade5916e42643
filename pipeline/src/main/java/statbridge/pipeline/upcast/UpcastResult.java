package statbridge.pipeline.upcast;

import statbridge.catalog.CatalogEntry;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/** What the upcast of one v1 event gives: the v2 events, or the reason it cannot be upcast. */
public sealed interface UpcastResult {

    /**
     * The event upcast.
     *
     * @param stat the v2 model stat
     * @param business the business stat, with a null value when the v1 event carried none
     * @param inferred the catalog entry inferred for an unknown name, to be recorded; null when the catalog knew the name
     */
    record Upcast(ModelStat stat, BusinessStat business, CatalogEntry inferred) implements UpcastResult {
    }

    /**
     * The event refused.
     *
     * @param reason the dead-letter reason code
     * @param message what is wrong, for a person
     */
    record Rejected(String reason, String message) implements UpcastResult {
    }
}
