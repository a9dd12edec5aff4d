package dev.millrace.storage.log;

import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.LogModelContract;
import net.jqwik.api.PropertyDefaults;

/**
 * The model property against the embedded engine. Small segments and a small index interval make rolls and index
 * lookups part of almost every sequence; a pool of only four open files makes channel eviction part of it too; the
 * restarts damage index files, which recovery and reads must rebuild. Each try works in a fresh directory of its own.
 */
@PropertyDefaults(tries = 200)
class EmbeddedLogModelTest extends LogModelContract {
    @Override
    protected LogBackend newBackend() {
        return new EmbeddedLogBackend(config -> config
                .withSegmentBytes(4096)
                .withIndexIntervalBytes(256)
                .withSegmentMs(20_000)
                .withMaxOpenFiles(4)
                .withDefaultRetentionMs(24L * 60 * 60 * 1000));
    }
}
