package dev.millrace.server.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.protocol.Account;
import dev.millrace.server.state.RegionMetadata;
import dev.millrace.storage.MetadataStore;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ends the transitional states of event source mappings (Creating, Updating, Enabling, Disabling, Deleting) on the
 * metadata writer, as housekeeping ends a stream's CREATING. It stands in for the processing engine, which settles a
 * mapping once it has acted on its change ({@link MappingStore#settle}) and is not wired into the server yet: without
 * it a mapping would stay Creating, and Lambda refuses to update a Creating mapping. Once the engine is wired, it
 * settles mappings itself and this class goes.
 *
 * <p>Thread-safe; called from the housekeeping thread.
 */
public final class MappingTransitions {
    private final MetadataStore metadata;
    private final Clock clock;
    private final String ownAccountId;
    /** One store per account's region, kept so that an unreadable mapping is logged once, not on every tick. */
    private final Map<Account, MappingStore> stores = new ConcurrentHashMap<>();

    /** {@code ownAccountId}: the server's own account, whose keys {@link RegionMetadata} keeps unprefixed. */
    public MappingTransitions(MetadataStore metadata, Clock clock, String ownAccountId) {
        this.metadata = metadata;
        this.clock = clock;
        this.ownAccountId = ownAccountId;
    }

    /** Settles every mapping of {@code account}'s region that is in a transitional state. */
    public void settleDue(Account account) {
        MappingStore store = stores.computeIfAbsent(account, a -> new MappingStore(
                RegionMetadata.of(metadata, a, ownAccountId), clock));
        for (EventSourceMapping m : store.all()) {
            if (!m.state().settled()) {
                store.settle(m.uuid());
            }
        }
    }
}
