package dev.millrace.dynamodb;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One table in memory: its definition and its items by primary key. Every read and write of a table happens under
 * its {@link #lock}, which is what makes a conditional write atomic; {@link Tables} writes changes through to the
 * metadata store before they are applied here.
 *
 * <p>Thread-safe only under {@link #lock}; {@link #definition()} may be read without it.
 */
final class Table {
    final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<PrimaryKey, Map<String, AttributeValue>> items = new TreeMap<>();
    private volatile TableDefinition definition;
    private boolean deleted;

    Table(TableDefinition definition) {
        this.definition = definition;
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
