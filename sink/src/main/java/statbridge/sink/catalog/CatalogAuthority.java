package statbridge.sink.catalog;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;

/**
 * Makes the catalog topic agree with {@code ml_monitoring.metric_catalog}, the durable copy, before
 * a component relies on it: the sink when it starts, and {@code statbridge pipeline} before it
 * infers a single name. See {@link CatalogReconciliation}.
 */
public final class CatalogAuthority {

    private CatalogAuthority() {
    }

    /**
     * Requires a compacted topic, publishes what it lost, and refuses a disagreement.
     *
     * @param who the component, for the message ("the sink", "the pipeline")
     * @return the entries published to the topic again
     * @throws CatalogDivergenceException when the topic is not compacted or maps a name or pair differently
     * @throws SQLException when the table cannot be read
     */
    public static List<CatalogEntry> reconcile(CatalogTopic topic, String topicName, DataSource database, String who)
            throws SQLException {
        if (!topic.isCompacted()) {
            throw new CatalogDivergenceException("the catalog topic '" + topicName + "' is not compacted, so retention would delete "
                    + "mappings; set cleanup.policy=compact on it, then restart " + who);
        }
        List<CatalogEntry> table;
        try (Connection connection = database.getConnection()) {
            table = CatalogTable.all(connection);
            connection.rollback();
        }
        CatalogReconciliation reconciliation = CatalogReconciliation.compare(topic.latest().values(), table);
        if (!reconciliation.conflicts().isEmpty()) {
            throw new CatalogDivergenceException("the catalog topic '" + topicName + "' and ml_monitoring.metric_catalog disagree: "
                    + String.join("; ", reconciliation.conflicts()) + ". The table is the durable copy: correct the topic to match "
                    + "it, then restart " + who);
        }
        if (!reconciliation.restore().isEmpty()) {
            topic.publish(reconciliation.restore());
        }
        return reconciliation.restore();
    }
}
