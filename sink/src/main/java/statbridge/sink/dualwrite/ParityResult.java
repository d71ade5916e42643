package statbridge.sink.dualwrite;

import java.time.Instant;

/**
 * How the legacy table compares with the legacy shape rebuilt from the new tables.
 *
 * @param missingInLegacy rows the rebuild has and the legacy table lacks
 * @param missingInNew legacy rows the new tables cannot rebuild
 * @param differing rows on both sides whose values differ
 */
public record ParityResult(Instant checkedAt, String selection, long legacyRows, long rebuiltRows, long missingInLegacy,
        long missingInNew, long differing) {

    public boolean ok() {
        return missingInLegacy == 0 && missingInNew == 0 && differing == 0;
    }

    public long differences() {
        return missingInLegacy + missingInNew + differing;
    }

    @Override
    public String toString() {
        return (ok() ? "equal" : "DIFFERENT") + " (" + selection + "): legacy " + legacyRows + " rows, rebuilt "
                + rebuiltRows + ", missing in legacy " + missingInLegacy + ", missing in new " + missingInNew
                + ", values differing " + differing + ", checked " + checkedAt;
    }
}
