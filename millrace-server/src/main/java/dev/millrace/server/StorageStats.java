package dev.millrace.server;

import dev.millrace.metrics.StorageGauges;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.log.EmbeddedLogStore;

import java.util.List;
import java.util.function.Supplier;

/**
 * The storage figures a metrics scrape shows: the embedded engine's open files and each stream's bytes on this
 * node's disk (the sum over its shards' directories, closed shards included while retention keeps them). A Kafka
 * backend keeps no files here and tells neither.
 *
 * <p>Thread-safe: reads the registries' current views and lists directories.
 */
final class StorageStats implements StorageGauges {
    /** Null when the backend is not the embedded engine. */
    private final EmbeddedLogStore embedded;
    private final Supplier<List<ApiServices>> regions;

    StorageStats(LogStore logs, Supplier<List<ApiServices>> regions) {
        this.embedded = logs instanceof EmbeddedLogStore e ? e : null;
        this.regions = regions;
    }

    @Override
    public long openFiles() {
        return embedded == null ? -1 : embedded.openFileCount();
    }

    @Override
    public void diskBytesPerStream(StreamBytes out) {
        if (embedded == null) {
            return;
        }
        for (ApiServices services : regions.get()) {
            StreamRegistry streams = services.streams();
            for (String name : streams.names()) {
                StreamRecord s = streams.find(name).orElse(null);
                if (s == null) {
                    continue; // deleted since the listing
                }
                long bytes = 0;
                for (ShardRecord shard : s.shards()) {
                    bytes += embedded.diskBytes(streams.logKey(s, shard.index()));
                }
                out.accept(streams.account().id(), streams.account().region(), name, bytes);
            }
        }
    }
}
