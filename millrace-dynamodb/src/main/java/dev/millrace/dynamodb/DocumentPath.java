package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A document path in an expression: a top-level attribute name followed by map keys ({@code .name}) and list indexes
 * ({@code [n]}), placeholders already resolved. Reads walk an item; writes rebuild the containers on the way, since
 * attribute values are immutable.
 *
 * <p>Immutable, thread-safe.
 */
final class DocumentPath {
    /**
     * String elements are map keys (the first is the attribute name), Long elements list indexes (DynamoDB takes
     * indexes up to 4294967294; one past a list's end reads nothing, and a write there appends).
     */
    private final List<Object> elements;

    DocumentPath(List<Object> elements) {
        this.elements = List.copyOf(elements);
    }

    static DocumentPath of(String attribute) {
        return new DocumentPath(List.of(attribute));
    }

    String topLevel() {
        return (String) elements.get(0);
    }

    boolean isTopLevel() {
        return elements.size() == 1;
    }

    /** True when one path is the other or lies inside it. */
    boolean overlaps(DocumentPath other) {
        int common = Math.min(elements.size(), other.elements.size());
        return elements.subList(0, common).equals(other.elements.subList(0, common));
    }

    /** The value at this path, or null when any step is missing or of the wrong type. */
    AttributeValue get(Map<String, AttributeValue> item) {
        AttributeValue current = item == null ? null : item.get(topLevel());
        for (int i = 1; i < elements.size() && current != null; i++) {
            current = step(current, elements.get(i));
        }
        return current;
    }

    private static AttributeValue step(AttributeValue container, Object element) {
        if (element instanceof Long) {
            long index = (Long) element;
            if (container.type() != AttributeValue.Type.L || index >= container.l().size()) {
                return null;
            }
            return container.l().get((int) index);
        }
        return container.type() == AttributeValue.Type.M ? container.m().get((String) element) : null;
    }

    /** Sets the value at this path in a mutable item; the containers above it must exist. */
    void set(Map<String, AttributeValue> item, AttributeValue value) {
        if (isTopLevel()) {
            item.put(topLevel(), value);
            return;
        }
        AttributeValue top = item.get(topLevel());
        if (top == null) {
            throw invalidForUpdate();
        }
        item.put(topLevel(), with(top, 1, value));
    }

    private AttributeValue with(AttributeValue container, int depth, AttributeValue value) {
        Object element = elements.get(depth);
        boolean last = depth == elements.size() - 1;
        if (element instanceof Long) {
            if (container.type() != AttributeValue.Type.L) {
                throw invalidForUpdate();
            }
            List<AttributeValue> list = new ArrayList<>(container.l());
            long index = (Long) element;
            if (last) {
                // DynamoDB appends when the index is past the end.
                if (index >= list.size()) {
                    list.add(value);
                } else {
                    list.set((int) index, value);
                }
            } else {
                if (index >= list.size()) {
                    throw invalidForUpdate();
                }
                list.set((int) index, with(list.get((int) index), depth + 1, value));
            }
            return AttributeValue.l(list);
        }
        if (container.type() != AttributeValue.Type.M) {
            throw invalidForUpdate();
        }
        Map<String, AttributeValue> map = new LinkedHashMap<>(container.m());
        if (last) {
            map.put((String) element, value);
        } else {
            AttributeValue child = map.get(element);
            if (child == null) {
                throw invalidForUpdate();
            }
            map.put((String) element, with(child, depth + 1, value));
        }
        return AttributeValue.m(map);
    }

    /** Removes the value at this path from a mutable item; a missing path is left alone, as DynamoDB does. */
    void remove(Map<String, AttributeValue> item) {
        if (isTopLevel()) {
            item.remove(topLevel());
            return;
        }
        AttributeValue top = item.get(topLevel());
        if (top == null) {
            return;
        }
        AttributeValue changed = without(top, 1);
        if (changed != null) {
            item.put(topLevel(), changed);
        }
    }

    private AttributeValue without(AttributeValue container, int depth) {
        Object element = elements.get(depth);
        boolean last = depth == elements.size() - 1;
        if (element instanceof Long) {
            long wide = (Long) element;
            if (container.type() != AttributeValue.Type.L || wide >= container.l().size()) {
                return null;
            }
            int index = (int) wide;
            List<AttributeValue> list = new ArrayList<>(container.l());
            if (last) {
                list.remove(index);
            } else {
                AttributeValue child = without(list.get(index), depth + 1);
                if (child == null) {
                    return null;
                }
                list.set(index, child);
            }
            return AttributeValue.l(list);
        }
        if (container.type() != AttributeValue.Type.M || !container.m().containsKey(element)) {
            return null;
        }
        Map<String, AttributeValue> map = new LinkedHashMap<>(container.m());
        if (last) {
            map.remove(element);
        } else {
            AttributeValue child = without(map.get(element), depth + 1);
            if (child == null) {
                return null;
            }
            map.put((String) element, child);
        }
        return AttributeValue.m(map);
    }

    /** Copies the value at this path from {@code source} into {@code target}, creating maps on the way (projection). */
    void project(Map<String, AttributeValue> source, Map<String, AttributeValue> target) {
        AttributeValue value = get(source);
        if (value == null) {
            return;
        }
        if (isTopLevel()) {
            target.put(topLevel(), value);
            return;
        }
        // Nested projections keep the enclosing maps; list positions are collapsed, as DynamoDB does.
        AttributeValue built = value;
        for (int i = elements.size() - 1; i >= 1; i--) {
            Object element = elements.get(i);
            built = element instanceof Long ? AttributeValue.l(List.of(built))
                    : AttributeValue.m(Map.of((String) element, built));
        }
        AttributeValue existing = target.get(topLevel());
        target.put(topLevel(), existing == null ? built : merge(existing, built));
    }

    private static AttributeValue merge(AttributeValue a, AttributeValue b) {
        if (a.type() == AttributeValue.Type.M && b.type() == AttributeValue.Type.M) {
            Map<String, AttributeValue> merged = new LinkedHashMap<>(a.m());
            for (Map.Entry<String, AttributeValue> e : b.m().entrySet()) {
                AttributeValue old = merged.get(e.getKey());
                merged.put(e.getKey(), old == null ? e.getValue() : merge(old, e.getValue()));
            }
            return AttributeValue.m(merged);
        }
        if (a.type() == AttributeValue.Type.L && b.type() == AttributeValue.Type.L) {
            List<AttributeValue> merged = new ArrayList<>(a.l());
            merged.addAll(b.l());
            return AttributeValue.l(merged);
        }
        return b;
    }

    private static DynamoException invalidForUpdate() {
        return DynamoException.validation("The document path provided in the update expression is invalid for update");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DocumentPath && ((DocumentPath) o).elements.equals(elements);
    }

    @Override
    public int hashCode() {
        return elements.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(topLevel());
        for (int i = 1; i < elements.size(); i++) {
            Object e = elements.get(i);
            sb.append(e instanceof Long ? "[" + e + "]" : "." + e);
        }
        return sb.toString();
    }
}
