package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One request's members, read and checked against Glue's model (botocore glue 2017-03-31): names
 * {@code [a-zA-Z0-9-_$#.]+} of 1 to 255 characters, descriptions up to 2048, at most 50 tags, MaxResults 1 to 100.
 * Every failure is an {@code InvalidInputException} naming the member, as Glue's validation does.
 *
 * <p>Not thread-safe: one per request.
 */
final class GlueInput {
    static final int MAX_NAME_CHARS = 255;
    static final int MAX_DESCRIPTION_CHARS = 2048;
    static final int MAX_TAGS = 50;
    static final int MAX_TAG_KEY_CHARS = 128;
    static final int MAX_TAG_VALUE_CHARS = 256;
    static final int DEFAULT_MAX_RESULTS = 25;
    static final int MAX_MAX_RESULTS = 100;
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9-_$#.]+");
    /** Nesting beyond any request of the subset: a hostile body cannot overflow the reader's stack. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build();

    private final Map<String, Object> members;

    private GlueInput(Map<String, Object> members) {
        this.members = members;
    }

    /** The body's members; an empty body is an empty object, as the CLI sends for a call without members. */
    @SuppressWarnings("unchecked")
    static GlueInput parse(byte[] body) {
        if (body == null || body.length == 0) {
            return new GlueInput(Map.of());
        }
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw serialization();
            }
            Object tree = JsonTree.read(p);
            if (p.nextToken() != null) {
                throw serialization();
            }
            return new GlueInput((Map<String, Object>) tree);
        } catch (IOException e) {
            throw serialization();
        }
    }

    private static GlueException serialization() {
        return new GlueException("SerializationException", "The request body is not a JSON object.", 400);
    }

    boolean has(String member) {
        return members.get(member) != null;
    }

    /** A string member, or null when absent. */
    String string(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw GlueException.invalidInput(member + " must be a string.");
        }
        return s;
    }

    String required(String member) {
        String v = string(member);
        if (v == null) {
            throw GlueException.invalidInput(member + " is required.");
        }
        return v;
    }

    /** A structure member (RegistryId, SchemaId, SchemaVersionNumber), or null when absent. */
    GlueInput structure(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw GlueException.invalidInput(member + " must be a structure.");
        }
        @SuppressWarnings("unchecked") Map<String, Object> typed = (Map<String, Object>) m;
        return new GlueInput(typed);
    }

    Long number(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Long l)) {
            throw GlueException.invalidInput(member + " must be an integer.");
        }
        return l;
    }

    Boolean bool(String member) {
        Object v = members.get(member);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw GlueException.invalidInput(member + " must be a boolean.");
        }
        return b;
    }

    /** A registry or schema name, checked as the model's SchemaRegistryNameString. */
    static String name(String member, String value) {
        if (value.isEmpty() || value.length() > MAX_NAME_CHARS || !NAME.matcher(value).matches()) {
            throw GlueException.invalidInput(member + " '" + clip(value) + "' is invalid: it must be 1 to "
                    + MAX_NAME_CHARS + " characters of a-z, A-Z, 0-9, '-', '_', '$', '#' and '.'.");
        }
        return value;
    }

    String description() {
        String d = string("Description");
        if (d != null && d.length() > MAX_DESCRIPTION_CHARS) {
            throw GlueException.invalidInput("Description must be at most " + MAX_DESCRIPTION_CHARS
                    + " characters.");
        }
        return d;
    }

    /** The Tags map (null when absent), bounded as the model bounds it. */
    Map<String, String> tags() {
        Object v = members.get("Tags");
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw GlueException.invalidInput("Tags must be a map of strings.");
        }
        if (m.size() > MAX_TAGS) {
            throw GlueException.invalidInput("Tags may hold at most " + MAX_TAGS + " tags.");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = (String) e.getKey();
            if (!(e.getValue() instanceof String value)) {
                throw GlueException.invalidInput("Tag values must be strings.");
            }
            if (key.isEmpty() || key.length() > MAX_TAG_KEY_CHARS || value.length() > MAX_TAG_VALUE_CHARS) {
                throw GlueException.invalidInput("Tag keys are 1 to " + MAX_TAG_KEY_CHARS
                        + " characters and values at most " + MAX_TAG_VALUE_CHARS + ".");
            }
            tags.put(key, value);
        }
        return tags;
    }

    int maxResults() {
        Long n = number("MaxResults");
        if (n == null) {
            return DEFAULT_MAX_RESULTS;
        }
        if (n < 1 || n > MAX_MAX_RESULTS) {
            throw GlueException.invalidInput("MaxResults must be between 1 and " + MAX_MAX_RESULTS + ".");
        }
        return n.intValue();
    }

    static String clip(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
