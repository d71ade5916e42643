package statbridge.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.catalog.InferenceRules;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.pipeline.PipelineSettings;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.Database;

/**
 * Adds the inferred catalog entries of legacy names the catalog lacks, to the topic (waiting for
 * every acknowledgement) and then the table: what {@code backfill} and {@code import} do first
 * under {@code pipeline.unmapped.policy=INFER}.
 */
final class InferredEntries {

    private InferredEntries() {
    }

    static void add(Configuration config, Database database, Map<String, Long> unmapped, PrintWriter out) throws SQLException {
        InferenceRules rules = new InferenceRules(config.getList(PipelineSettings.INFER_DRIFT_PREFIXES),
                new HashSet<>(config.getList(PipelineSettings.INFER_BUSINESS_NAMES)));
        List<CatalogEntry> inferred = new ArrayList<>();
        unmapped.keySet().forEach(name -> inferred.add(rules.infer(name)));
        CatalogTopic topic = new CatalogTopic(CommonSettings.kafkaClientConfig(config), config.get(CommonSettings.TOPIC_CATALOG));
        List<CatalogEntry> added = topic.add(inferred);
        try (Connection connection = database.dataSource().getConnection()) {
            CatalogTable.insert(connection, inferred);
            connection.commit();
        }
        out.println("  inferred and added to the catalog: " + (added.isEmpty() ? inferred : added));
    }
}
