package dev.millrace.dynamodb;

import java.util.Map;
import java.util.Set;

/**
 * A change to one item: an UpdateExpression or the legacy AttributeUpdates. Every operand is read from the item as
 * it was before the update, as DynamoDB does ({@code SET a = b, b = a} swaps).
 *
 * <p>Implementations are immutable and thread-safe.
 */
interface ItemUpdate {
    /**
     * Applies the update to {@code target}, a mutable copy of {@code before} (which holds at least the key), and adds
     * the top-level names of the attributes it changed to {@code touched}.
     */
    void apply(Map<String, AttributeValue> before, Map<String, AttributeValue> target, Set<String> touched);

    /** ADD: a number is added, set elements are added, a missing attribute is set. */
    static AttributeValue add(AttributeValue existing, AttributeValue operand) {
        if (existing == null) {
            if (operand.type() != AttributeValue.Type.N && !operand.isSet() && operand.type() != AttributeValue.Type.L) {
                throw incorrectType();
            }
            return operand;
        }
        if (existing.type() == AttributeValue.Type.N && operand.type() == AttributeValue.Type.N) {
            return AttributeValue.n(existing.numeric().add(operand.numeric()));
        }
        if (existing.isSet() && existing.type() == operand.type()) {
            return setUnion(existing, operand);
        }
        if (existing.type() == AttributeValue.Type.L && operand.type() == AttributeValue.Type.L) {
            java.util.List<AttributeValue> joined = new java.util.ArrayList<>(existing.l());
            joined.addAll(operand.l());
            return AttributeValue.l(joined);
        }
        throw incorrectType();
    }

    /** DELETE with a value: the operand's elements are taken out of the set; an emptied set is removed (null). */
    static AttributeValue deleteElements(AttributeValue existing, AttributeValue operand) {
        if (!operand.isSet()) {
            throw incorrectType();
        }
        if (existing == null) {
            return null;
        }
        if (existing.type() != operand.type()) {
            throw incorrectType();
        }
        Set<Object> remove = operand.setKeys();
        if (existing.type() == AttributeValue.Type.BS) {
            java.util.List<byte[]> kept = new java.util.ArrayList<>();
            for (byte[] e : existing.binaries()) {
                if (!remove.contains(java.nio.ByteBuffer.wrap(e))) {
                    kept.add(e);
                }
            }
            return kept.isEmpty() ? null : AttributeValue.bs(kept);
        }
        java.util.List<String> kept = new java.util.ArrayList<>();
        for (String e : existing.strings()) {
            Object k = existing.type() == AttributeValue.Type.NS ? AttributeValue.number(e).stripTrailingZeros() : e;
            if (!remove.contains(k)) {
                kept.add(e);
            }
        }
        return kept.isEmpty() ? null : AttributeValue.set(existing.type(), kept);
    }

    private static AttributeValue setUnion(AttributeValue existing, AttributeValue operand) {
        Set<Object> have = existing.setKeys();
        if (existing.type() == AttributeValue.Type.BS) {
            java.util.List<byte[]> all = new java.util.ArrayList<>(existing.binaries());
            for (byte[] e : operand.binaries()) {
                if (have.add(java.nio.ByteBuffer.wrap(e))) {
                    all.add(e);
                }
            }
            return AttributeValue.bs(all);
        }
        java.util.List<String> all = new java.util.ArrayList<>(existing.strings());
        for (String e : operand.strings()) {
            Object k = existing.type() == AttributeValue.Type.NS ? AttributeValue.number(e).stripTrailingZeros() : e;
            if (have.add(k)) {
                all.add(e);
            }
        }
        return AttributeValue.set(existing.type(), all);
    }

    private static DynamoException incorrectType() {
        return DynamoException.validation("An operand in the update expression has an incorrect data type");
    }
}
