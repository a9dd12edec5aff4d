package dev.millrace.dynamodb;

import dev.millrace.storage.MetadataFollower;
import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The table catalog and its persistence. Every table is held in memory and written through to the metadata store:
 * {@code dynamodb/<table>/meta} holds its {@link TableDefinition}, {@code dynamodb/<table>/item/<key>} each item in
 * DynamoDB JSON (key: {@link PrimaryKey#encode}). Changes reach the store in one commit per request (a whole
 * TransactWriteItems or BatchWriteItem included) before memory changes, so what a client was told is durable, and a
 * failed commit changes nothing. Items are sorted in memory, so the store's key order does not matter.
 *
 * <p><b>Following the change feed.</b> Several nodes may share the store; one, the writer, takes every DynamoDB
 * request, and the others must hold the current tables and items when one of them is elected writer. So memory also
 * follows the store's change feed ({@link MetadataStore#onCommit}) through {@link MetadataFollower}, which loads
 * the tables and then applies every later commit, none missed and none twice. A change the
 * feed tells may be older than what memory holds: a store may tell this node's own commit after {@code commit}
 * returned and the request applied it (and a later request applied a newer one). So a key this node changed keeps, in
 * {@link #ahead}, the version of that change until the feed has told it; the feed leaves such a key alone for any
 * older version. Entries live only while a commit is in flight. An item change older than its table's creation is
 * ignored too, so a late change of a deleted table never lands in its successor of the same name.
 *
 * <p><b>Locking.</b> The catalog is a concurrent map; {@link #create} and {@link #delete} serialise on this object's
 * monitor so that a name is checked and committed in one step. Items are guarded for requests by each table's lock,
 * which callers take (in name order when they need several, see {@link #lockAll}) before reading or writing items.
 * The feed's listener takes neither: a request thread holds its table's lock (and may hold the monitor) while it
 * commits, and the store calls listeners while holding its own lock, on the committing thread (the embedded store)
 * or on its tailer thread (Kafka's); a listener waiting for a table lock would deadlock with a request waiting in
 * {@code commit} for the store's lock. The listener only updates concurrent maps, inside {@code ahead.compute} for
 * the key at hand (so a request's apply and the feed's apply of one key never interleave), and never calls the
 * store. The one lock it may take is the follower's, which only the constructor holds, while replaying without calling
 * the store. A request's check-then-write under its table's lock stays atomic on the writer, the one node that takes
 * requests: the feed only brings it its own commits, which memory already holds.
 *
 * <p>Thread-safe.
 */
final class Tables {
    private static final Logger log = LoggerFactory.getLogger(Tables.class);
    static final String PREFIX = "dynamodb/";
    private static final String META = "/meta";
    private static final String ITEM = "/item/";

    /** One change to write: {@code item} null deletes. */
    record Write(Table table, PrimaryKey key, Map<String, AttributeValue> item) {
    }

    private final MetadataStore store;
    private final ConcurrentSkipListMap<String, Table> tables = new ConcurrentSkipListMap<>();
    /** Store keys this node changed at a version the feed has not told yet, with that version. */
    private final ConcurrentHashMap<String, Long> ahead = new ConcurrentHashMap<>();
    /** The last version the feed told; written by the listener only, whose calls a store serialises. */
    private volatile long feedVersion;

    Tables(MetadataStore store) {
        this.store = store;
        // Registered for the store's lifetime: the catalog lives as long as the node's store.
        MetadataFollower.follow(store, this::load, this::fed);
    }

    private void load(long version) {
        SortedMap<String, byte[]> all = store.scan(PREFIX);
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (e.getKey().endsWith(META)) {
                TableDefinition d = TableDefinition.fromBytes(e.getValue());
                tables.put(d.name(), new Table(d, version));
            }
        }
        for (Table t : tables.values()) {
            for (byte[] bytes : all.subMap(itemPrefix(t.name()), itemPrefix(t.name()) + Character.MAX_VALUE).values()) {
                Map<String, AttributeValue> item = DynamoJson.itemFromBytes(bytes);
                t.items().put(t.keyOfItem(item), item);
            }
        }
        if (!tables.isEmpty()) {
            log.info("loaded {} DynamoDB tables", tables.size());
        }
    }

    private static String metaKey(String table) {
        return PREFIX + table + META;
    }

    private static String itemPrefix(String table) {
        return PREFIX + table + ITEM;
    }

    synchronized Table create(TableDefinition definition) {
        if (tables.containsKey(definition.name())) {
            throw DynamoException.resourceInUse("Table already exists: " + definition.name());
        }
        long version = store.commit(Map.of(metaKey(definition.name()), definition.toBytes()));
        applyOwn(metaKey(definition.name()), version, () -> putTable(definition, version));
        return tables.get(definition.name());
    }

    List<String> names() {
        return new ArrayList<>(tables.keySet());
    }

    Table find(String name) {
        return tables.get(name);
    }

    Table require(String name) {
        Table t = find(name);
        if (t == null) {
            throw DynamoException.tableNotFound();
        }
        return t;
    }

    /** Drops a table and all its items in one commit; the caller holds the table's lock. */
    void delete(Table t) {
        Map<String, byte[]> changes = new HashMap<>();
        changes.put(metaKey(t.name()), null);
        for (PrimaryKey k : t.items().keySet()) {
            changes.put(itemPrefix(t.name()) + k.encode(), null);
        }
        synchronized (this) {
            long version = store.commit(changes);
            applyOwn(metaKey(t.name()), version, () -> dropTable(t.name()));
        }
        // The feed may have dropped it first; either way this table object is gone.
        t.markDeleted();
        t.items().clear();
    }

    /** Replaces a table's definition; the caller holds the table's lock. */
    void saveDefinition(Table t, TableDefinition definition) {
        long version = store.commit(Map.of(metaKey(t.name()), definition.toBytes()));
        applyOwn(metaKey(t.name()), version, () -> t.definition(definition));
    }

    /** Writes items (puts and deletes) in one commit, then applies them; the caller holds every table's lock. */
    void commit(List<Write> writes) {
        if (writes.isEmpty()) {
            return;
        }
        Map<String, byte[]> changes = new HashMap<>();
        for (Write w : writes) {
            changes.put(itemPrefix(w.table().name()) + w.key().encode(),
                    w.item() == null ? null : DynamoJson.itemBytes(w.item()));
        }
        long version = store.commit(changes);
        for (Write w : writes) {
            applyOwn(itemPrefix(w.table().name()) + w.key().encode(), version, () -> {
                if (w.item() == null) {
                    w.table().items().remove(w.key());
                } else {
                    w.table().items().put(w.key(), Collections.unmodifiableMap(new LinkedHashMap<>(w.item())));
                }
            });
        }
    }

    /**
     * Applies a change this node committed at {@code version} and, unless the feed has told that version already,
     * remembers it, so that the feed leaves the key alone until it catches up.
     */
    private void applyOwn(String key, long version, Runnable change) {
        ahead.compute(key, (k, known) -> {
            if (known != null && known > version) {
                return known;
            }
            change.run();
            return version > feedVersion ? version : null;
        });
    }

    /** Applies a change the feed told, unless this node holds a newer one of that key. */
    private void applyFed(String key, long version, Runnable change) {
        ahead.compute(key, (k, known) -> {
            if (known == null || known < version) {
                change.run();
            }
            return known != null && known > version ? known : null;
        });
    }

    private void fed(long version, Map<String, byte[]> changes) {
        // Set first: a request applying this version meanwhile then leaves nothing in ahead for the feed to clear.
        feedVersion = version;
        // Tables first, so that a table and its items told in one commit find each other.
        for (Map.Entry<String, byte[]> c : changes.entrySet()) {
            if (c.getKey().startsWith(PREFIX) && c.getKey().endsWith(META)) {
                fedChange(c.getKey(), c.getValue(), version);
            }
        }
        for (Map.Entry<String, byte[]> c : changes.entrySet()) {
            if (c.getKey().startsWith(PREFIX) && c.getKey().indexOf(ITEM, PREFIX.length()) > 0) {
                fedChange(c.getKey(), c.getValue(), version);
            }
        }
    }

    private void fedChange(String key, byte[] value, long version) {
        Runnable change;
        try {
            change = decodeChange(key, value, version);
        } catch (RuntimeException e) {
            // Another node wrote it; a change this node cannot read is a bug worth a line, not a dead feed.
            log.error("Cannot apply {} from the metadata change feed; this node keeps what it had", key, e);
            return;
        }
        applyFed(key, version, change);
    }

    /** The change to memory that a store key's new value (null: deleted) makes, decoded outside any lock. */
    private Runnable decodeChange(String key, byte[] value, long version) {
        if (key.endsWith(META)) {
            String name = key.substring(PREFIX.length(), key.length() - META.length());
            if (value == null) {
                return () -> dropTable(name);
            }
            TableDefinition d = TableDefinition.fromBytes(value);
            return () -> putTable(d, version);
        }
        int at = key.indexOf(ITEM, PREFIX.length());
        String name = key.substring(PREFIX.length(), at);
        if (value == null) {
            PrimaryKey itemKey = PrimaryKey.decode(key.substring(at + ITEM.length()));
            return () -> {
                Table t = tables.get(name);
                if (t != null && version >= t.createdVersion()) {
                    t.items().remove(itemKey);
                }
            };
        }
        Map<String, AttributeValue> item = Collections.unmodifiableMap(DynamoJson.itemFromBytes(value));
        return () -> {
            Table t = tables.get(name);
            if (t != null && version >= t.createdVersion()) {
                t.items().put(t.keyOfItem(item), item);
            }
        };
    }

    /**
     * Puts a table's definition: the table's own object stays (requests may hold it) unless the definition is of
     * another table of that name (its table id differs: the feed merged a deletion and a re-creation). Like
     * {@link #dropTable}, called only inside {@code ahead.compute} of the table's meta key, which serialises every
     * change of the table's catalog entry, so reading and then replacing it here is one step.
     */
    private void putTable(TableDefinition d, long version) {
        Table t = tables.get(d.name());
        if (t != null && t.definition().tableId().equals(d.tableId())) {
            t.definition(d);
            return;
        }
        if (t != null) {
            t.markDeleted();
            t.items().clear();
        }
        tables.put(d.name(), new Table(d, version));
    }

    private void dropTable(String name) {
        Table t = tables.remove(name);
        if (t != null) {
            t.markDeleted();
            t.items().clear();
        }
    }

    /** Locks tables in name order (so two transactions cannot deadlock); each must still exist. */
    static List<Table> lockAll(Collection<Table> toLock) {
        List<Table> sorted = new ArrayList<>(new java.util.LinkedHashSet<>(toLock));
        sorted.sort(Comparator.comparing(Table::name));
        List<Table> locked = new ArrayList<>();
        try {
            for (Table t : sorted) {
                t.lockLive();
                locked.add(t);
            }
        } catch (RuntimeException e) {
            unlockAll(locked);
            throw e;
        }
        return locked;
    }

    static void unlockAll(List<Table> locked) {
        for (int i = locked.size() - 1; i >= 0; i--) {
            locked.get(i).lock.unlock();
        }
    }
}
