package statbridge.catalog;

/** A catalog change that would break bijectivity, so the legacy table could no longer be rebuilt exactly. */
public class CatalogConflictException extends IllegalArgumentException {

    public CatalogConflictException(String message) {
        super(message);
    }
}
