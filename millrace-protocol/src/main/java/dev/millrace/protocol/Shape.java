package dev.millrace.protocol;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One shape of the API model with the constraints validation needs. Member maps keep the model's order, which is the
 * order validation reports errors in.
 *
 * <p>Immutable, thread-safe.
 *
 * @param name     the shape's name in the model
 * @param type     its type
 * @param members  structure members: member name to shape name (empty for other types)
 * @param required structure members that must be present
 * @param min      minimum length (strings, blobs, lists, maps) or value (numbers), or {@code null}
 * @param max      maximum length or value, or {@code null}
 * @param pattern  the regular expression strings must match entirely, or {@code null}
 * @param enumValues the allowed string values, or empty
 * @param member   the element shape of a list, or {@code null}
 * @param key      the key shape of a map, or {@code null}
 * @param value    the value shape of a map, or {@code null}
 * @param exception whether the shape is an error
 */
public record Shape(String name, Type type, Map<String, String> members, Set<String> required, Long min, Long max,
                    Pattern pattern, List<String> enumValues, String member, String key, String value,
                    boolean exception) {

    /** Shape types used by the Kinesis model. */
    public enum Type { STRUCTURE, STRING, INTEGER, LONG, BOOLEAN, BLOB, TIMESTAMP, LIST, MAP }
}
