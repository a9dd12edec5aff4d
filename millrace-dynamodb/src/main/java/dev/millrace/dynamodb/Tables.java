package dev.millrace.dynamodb;

import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The table catalog and its persistence. Every table is held in memory and written through to the metadata store:
 * {@code dynamodb/<table>/meta} holds its {@link TableDefinition}, {@code dynamodb/<table>/item/<key>} each item in
 * DynamoDB JSON (key: {@link PrimaryKey#encode}). Changes reach the store in one commit per request (a whole
 * TransactWriteItems or BatchWriteItem included) before memory changes, so what a client was told is durable, and a
 * failed commit changes nothing. Items are sorted in memory, so the store's key order does not matter.
 *
 * <p>Thread-safe: the catalog is guarded by this object's monitor; items by each table's lock, which callers take
 * (in name order when they need several, see {@link #lockAll}) before reading or writing items.
 */
final class Tables {
    private static final Logger log = LoggerFactory.getLogger(Tables.class);
    static final String PREFIX = "dynamodb/";

    /** One change to write: {@code item} null deletes. */
    record Write(Table table, PrimaryKey key, Map<String, AttributeValue> item) {
    }

    private final MetadataStore store;
    private final TreeMap<String, Table> tables = new TreeMap<>();

    Tables(MetadataStore store) {
        this.store = store;
        load();
    }

    private void load() {
        SortedMap<String, byte[]> all = store.scan(PREFIX);
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (e.getKey().endsWith("/meta")) {
                TableDefinition d = TableDefinition.fromBytes(e.getValue());
                tables.put(d.name(), new Table(d));
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
        return PREFIX + table + "/meta";
    }

    private static String itemPrefix(String table) {
        return PREFIX + table + "/item/";
    }

    synchronized Table create(TableDefinition definition) {
        if (tables.containsKey(definition.name())) {
            throw DynamoException.resourceInUse("Table already exists: " + definition.name());
        }
        store.commit(Map.of(metaKey(definition.name()), definition.toBytes()));
        Table t = new Table(definition);
        tables.put(definition.name(), t);
        return t;
    }

    synchronized List<String> names() {
        return new ArrayList<>(tables.keySet());
    }

    synchronized Table find(String name) {
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
            store.commit(changes);
            tables.remove(t.name());
        }
        t.markDeleted();
        t.items().clear();
    }

    /** Replaces a table's definition; the caller holds the table's lock. */
    void saveDefinition(Table t, TableDefinition definition) {
        store.commit(Map.of(metaKey(t.name()), definition.toBytes()));
        t.definition(definition);
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
        store.commit(changes);
        for (Write w : writes) {
            if (w.item() == null) {
                w.table().items().remove(w.key());
            } else {
                w.table().items().put(w.key(), java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(w.item())));
            }
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
