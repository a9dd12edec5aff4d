package dev.millrace.dynamodb;

import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One table in memory: its definition and its items by primary key. Every read and write a request makes of a table
 * happens under its {@link #lock}, which is what makes a conditional write atomic; {@link Tables} writes changes
 * through to the metadata store before they are applied here.
 *
 * <p>Thread-safe. Requests use the table under {@link #lock}; the metadata change feed ({@link Tables}) applies other
 * nodes' changes without it (it must never wait for a lock a committing thread holds), which is why the items are a
 * concurrent map and {@link #definition} and {@link #deleted} volatile. A request's check-then-write stays atomic
 * because the writer node is the only one that changes items: the feed brings it only its own commits, which change
 * nothing, while followers take no DynamoDB requests (the server forwards them to the writer).
 */
final class Table {
    final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentSkipListMap<PrimaryKey, Map<String, AttributeValue>> items = new ConcurrentSkipListMap<>();
    private final long createdVersion;
    private volatile TableDefinition definition;
    private volatile boolean deleted;

    /** @param createdVersion the metadata version the table was created at (or loaded at), see {@link Tables} */
    Table(TableDefinition definition, long createdVersion) {
        this.definition = definition;
        this.createdVersion = createdVersion;
    }

    long createdVersion() {
        return createdVersion;
    }

    TableDefinition definition() {
        return definition;
    }

    void definition(TableDefinition newDefinition) {
        this.definition = newDefinition;
    }

    String name() {
        return definition.name();
    }

    /** Locks the table; fails with ResourceNotFoundException (and leaves it unlocked) if it was deleted meanwhile. */
    void lockLive() {
        lock.lock();
        if (deleted) {
            lock.unlock();
            throw DynamoException.tableNotFound();
        }
    }

    void markDeleted() {
        deleted = true;
    }

    NavigableMap<PrimaryKey, Map<String, AttributeValue>> items() {
        return items;
    }

    Map<String, AttributeValue> get(PrimaryKey key) {
        return items.get(key);
    }

    /** The primary key of an item to be written; the key attributes must be present with the declared types. */
    PrimaryKey keyOfItem(Map<String, AttributeValue> item) {
        KeySchema k = definition.key();
        return new PrimaryKey(keyPart(item, k.hashName(), k.hashType()),
                k.hasRange() ? keyPart(item, k.rangeName(), k.rangeType()) : null);
    }

    private static AttributeValue keyPart(Map<String, AttributeValue> item, String name, String type) {
        AttributeValue v = item.get(name);
        if (v == null) {
            throw DynamoException.validation("One or more parameter values were invalid: Missing the key " + name
                    + " in the item");
        }
        if (!v.type().name().equals(type)) {
            throw DynamoException.validation("One or more parameter values were invalid: Type mismatch for key "
                    + name + " expected: " + type + " actual: " + v.type());
        }
        if ((v.type() == AttributeValue.Type.S && v.s().isEmpty())
                || (v.type() == AttributeValue.Type.B && v.bytesNoCopy().length == 0)) {
            throw DynamoException.validation("One or more parameter values are not valid. The AttributeValue for a "
                    + "key attribute cannot contain an empty " + (v.type() == AttributeValue.Type.S ? "string"
                    : "binary") + " value. Key: " + name);
        }
        return v;
    }

    /** The primary key named by a Key parameter, which must hold exactly the key attributes. */
    PrimaryKey keyOfKey(Map<String, AttributeValue> key) {
        KeySchema k = definition.key();
        int expected = k.hasRange() ? 2 : 1;
        AttributeValue hash = key.get(k.hashName());
        AttributeValue range = k.hasRange() ? key.get(k.rangeName()) : null;
        if (key.size() != expected || hash == null || !hash.type().name().equals(k.hashType())
                || (k.hasRange() && (range == null || !range.type().name().equals(k.rangeType())))) {
            throw DynamoException.validation("The provided key element does not match the schema");
        }
        return keyOfItem(key);
    }

    /** The key attributes of a stored item, as LastEvaluatedKey and ALL_OLD on a key-only item want them. */
    Map<String, AttributeValue> keyAttributes(Map<String, AttributeValue> item) {
        return definition.key().keyOf(item);
    }
}
