package dev.millrace.lambda;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A request body's members (or one structure's), each read as the model's type: a member of another JSON type is an
 * InvalidRequestContentException naming it, as Lambda's deserializer answers; {@code null} is absent. Members the
 * model does not have are ignored, as AWS's JSON deserializers ignore them.
 *
 * <p>Not thread-safe: one per request.
 */
final class JsonBody {
    /** Deeper than any request of the API: a hostile body cannot overflow the reader's stack. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build();
    static final JsonBody EMPTY = new JsonBody("", Map.of());

    private final String path;
    private final Map<String, Object> members;

    private JsonBody(String path, Map<String, Object> members) {
        this.path = path;
        this.members = members;
    }

    /** The body's members; an empty body is an empty object (a GET or DELETE carries none). */
    @SuppressWarnings("unchecked")
    static JsonBody parse(byte[] body) {
        if (body == null || body.length == 0) {
            return EMPTY;
        }
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw LambdaException.invalidContent("the body is not a JSON object.");
            }
            Object tree = JsonTree.read(p);
            if (p.nextToken() != null) {
                throw LambdaException.invalidContent("the body holds more than one JSON value.");
            }
            return new JsonBody("", (Map<String, Object>) tree);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            int newline = why.indexOf('\n');
            throw LambdaException.invalidContent(newline < 0 ? why : why.substring(0, newline));
        }
    }

    boolean has(String member) {
        return members.get(member) != null;
    }

    private String name(String member) {
        return path + member;
    }

    private LambdaException wrongType(String member, String expected, Object found) {
        return LambdaException.invalidContent(name(member) + " must be " + expected + ", not " + typeOf(found) + ".");
    }

    private static String typeOf(Object v) {
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number) {
            return "the number " + v;
        }
        if (v instanceof List) {
            return "a list";
        }
        return "an object";
    }

    String string(String member) {
        Object v = members.get(member);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw wrongType(member, "a string", v);
    }

    Boolean bool(String member) {
        Object v = members.get(member);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw wrongType(member, "a boolean", v);
    }

    /** A 32-bit integer member, as the model's integer shapes are. */
    Integer integer(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw wrongType(member, "an integer of 32 bits", v);
    }

    /** A timestamp member: epoch seconds, possibly with a fraction (rest-json's unixTimestamp). */
    BigDecimal epochSeconds(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        BigDecimal seconds;
        if (v instanceof Long l) {
            seconds = BigDecimal.valueOf(l);
        } else if (v instanceof BigInteger b) {
            seconds = new BigDecimal(b);
        } else if (v instanceof BigDecimal d) {
            seconds = d;
        } else {
            throw wrongType(member, "a timestamp in epoch seconds", v);
        }
        // Checked on precision and scale alone, before any arithmetic: 1e-999999999 would make setScale compute
        // 10^999999997. Twelve integer digits reach the year 33658; nine decimals are nanoseconds.
        if (seconds.scale() > 9 || seconds.precision() - seconds.scale() > 12) {
            throw LambdaException.invalidContent(name(member) + " must be a timestamp in epoch seconds, with at most "
                    + "12 digits before the point and 9 after it.");
        }
        return seconds;
    }

    @SuppressWarnings("unchecked")
    JsonBody structure(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> m) {
            return new JsonBody(name(member) + ".", (Map<String, Object>) m);
        }
        throw wrongType(member, "an object", v);
    }

    /** A list of structures. */
    List<JsonBody> structures(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(member, "a list", v);
        }
        List<JsonBody> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            if (!(item instanceof Map<?, ?> m)) {
                throw wrongType(member + "[" + i + "]", "an object", item);
            }
            @SuppressWarnings("unchecked") Map<String, Object> typed = (Map<String, Object>) m;
            out.add(new JsonBody(name(member) + "[" + i + "].", typed));
        }
        return out;
    }

    List<String> strings(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(member, "a list", v);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw wrongType(member + "[" + i + "]", "a string", list.get(i));
            }
            out.add(s);
        }
        return out;
    }

    /** A map of strings to strings (Tags). */
    Map<String, String> stringMap(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw wrongType(member, "an object", v);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw wrongType(member + "." + e.getKey(), "a string", e.getValue());
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }
}
