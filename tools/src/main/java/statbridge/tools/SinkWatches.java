package statbridge.tools;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import statbridge.config.Configuration;
import statbridge.config.Setting;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.tools.lifecycle.LegacyReaderSampler;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.lifecycle.LifecycleSettings;
import statbridge.tools.series.SeriesSettings;
import statbridge.tools.series.SilentSeries;
import statbridge.tools.series.SilentSeriesMetrics;
import statbridge.tools.series.SilentSeriesWatch;

/**
 * The two watches a sink process runs beside the sink, each on a thread of its own that the sink's
 * consumer never waits for: the sampler of who reads the legacy shape
 * ({@link LifecycleSettings#READERS_INTERVAL}) and the count of the silent series for the metrics
 * ({@link SeriesSettings#SILENT_INTERVAL}). They share a pool of two connections of their own.
 */
public final class SinkWatches implements AutoCloseable {

    private static final int POOL_SIZE = 2;

    private final Database database;
    private final LegacyReaderSampler readers;
    private final SilentSeriesWatch silent;

    private SinkWatches(Database database, LegacyReaderSampler readers, SilentSeriesWatch silent) {
        this.database = database;
        this.readers = readers;
        this.silent = silent;
    }

    /** The keys the watches read, besides the database's. */
    public static List<Setting> settings() {
        return List.of(LifecycleSettings.READERS_INTERVAL, LifecycleSettings.OWN_ROLES, SeriesSettings.SILENT_INTERVAL,
                SeriesSettings.SILENT_WINDOW_DAYS, SeriesSettings.SILENT_MIN_DAYS, SeriesSettings.SILENT_AFTER_DAYS);
    }

    /**
     * Starts both watches on {@code config}'s database, their gauges in {@code registry}, and returns at once.
     *
     * @throws statbridge.config.ConfigurationException naming a key whose value is not allowed
     */
    public static SinkWatches start(Configuration config, MeterRegistry registry) {
        config.validate(settings());
        SilentSeries.Rule rule = SeriesSettings.rule(config);
        DatabaseConfig sink = DatabaseConfig.from(config);
        Database database = Database.open(new DatabaseConfig(sink.jdbcUrl(), sink.user(), sink.password(), POOL_SIZE, sink.hikari()),
                "statbridge-sink-watches");
        LegacyReaderSampler readers = LegacyReaderSampler.start(
                new LegacyReaders(database.dataSource(), config.getList(LifecycleSettings.OWN_ROLES)),
                config.getDuration(LifecycleSettings.READERS_INTERVAL));
        SilentSeriesWatch silent = SilentSeriesWatch.start(new SilentSeries(database.dataSource()), rule,
                config.getDuration(SeriesSettings.SILENT_INTERVAL), new SilentSeriesMetrics(registry)::record);
        return new SinkWatches(database, readers, silent);
    }

    @Override
    public void close() {
        readers.close();
        silent.close();
        database.close();
    }
}
