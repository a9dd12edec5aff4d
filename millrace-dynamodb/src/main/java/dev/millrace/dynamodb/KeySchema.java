package dev.millrace.dynamodb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key of a table or index: a hash attribute and an optional range attribute, each with its scalar type (S, N or
 * B) from the AttributeDefinitions.
 *
 * <p>Immutable, thread-safe.
 */
record KeySchema(String hashName, String hashType, String rangeName, String rangeType) {

    boolean hasRange() {
        return rangeName != null;
    }

    boolean isKeyAttribute(String name) {
        return name.equals(hashName) || name.equals(rangeName);
    }

    /** The key attributes of an item, or null when the item lacks one or has one of the wrong type (sparse index). */
    Map<String, AttributeValue> keyOf(Map<String, AttributeValue> item) {
        AttributeValue hash = item.get(hashName);
        if (hash == null || !hash.type().name().equals(hashType)) {
            return null;
        }
        Map<String, AttributeValue> key = new LinkedHashMap<>();
        key.put(hashName, hash);
        if (hasRange()) {
            AttributeValue range = item.get(rangeName);
            if (range == null || !range.type().name().equals(rangeType)) {
                return null;
            }
            key.put(rangeName, range);
        }
        return key;
    }

    /** Reads a KeySchema list, typing each element from the attribute definitions. */
    static KeySchema read(Request owner, String member, Map<String, String> definitions) {
        String hash = null;
        String range = null;
        for (Request e : owner.structs(member)) {
            String name = e.requiredString("AttributeName");
            String type = e.requiredString("KeyType");
            if (!definitions.containsKey(name)) {
                throw DynamoException.validation("One or more parameter values were invalid: Some index key "
                        + "attributes are not defined in AttributeDefinitions. Keys: [" + name + "], "
                        + "AttributeDefinitions: " + definitions.keySet());
            }
            if (type.equals("HASH") && hash == null) {
                hash = name;
            } else if (type.equals("RANGE") && range == null) {
                range = name;
            } else {
                throw DynamoException.validation("Invalid KeySchema: Some index key attribute have no definition or "
                        + "the key schema is invalid");
            }
        }
        if (hash == null) {
            throw DynamoException.validation("1 validation error detected: Value null at 'keySchema' failed to "
                    + "satisfy constraint: Member must not be null");
        }
        return new KeySchema(hash, definitions.get(hash), range, range == null ? null : definitions.get(range));
    }
}
