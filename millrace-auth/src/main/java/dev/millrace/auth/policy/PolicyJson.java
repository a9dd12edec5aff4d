package dev.millrace.auth.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading a policy's JSON into plain values ({@link JsonTree}'s) with the checks IAM's grammar needs before any
 * element is interpreted: a duplicate key is refused (a second {@code "Effect"} must not quietly win), nesting and
 * sizes are bounded, and nothing may follow the document. Jackson streaming only.
 *
 * <p>Stateless, thread-safe.
 */
public final class PolicyJson {
    /** A policy is a few KiB; this deep is already absurd, and keeps a hostile document off the stack. */
    private static final int MAX_NESTING_DEPTH = 32;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build();

    private PolicyJson() {
    }

    /** The JSON factory policies are read with: duplicate keys refused, nesting bounded. */
    public static JsonFactory factory() {
        return FACTORY;
    }

    /** The document's value tree; malformed JSON is IAM's "Syntax errors in policy." with the parser's reason. */
    static Object read(String json) {
        try (JsonParser parser = FACTORY.createParser(json)) {
            if (parser.nextToken() == null) {
                throw new MalformedPolicyException("Syntax errors in policy. The policy document is empty.");
            }
            Object tree = JsonTree.read(parser);
            if (parser.nextToken() != null) {
                throw new MalformedPolicyException("Syntax errors in policy. Text follows the policy document.");
            }
            return tree;
        } catch (JsonProcessingException e) {
            // A broken limit (nesting too deep) has no location.
            String at = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new MalformedPolicyException("Syntax errors in policy. " + e.getOriginalMessage() + at);
        } catch (IOException e) {
            throw new MalformedPolicyException("Syntax errors in policy. " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object json, String element) {
        if (json instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new MalformedPolicyException(element + " must be a JSON object, not " + describe(json));
    }

    static String string(Object json, String element) {
        if (json instanceof String s) {
            return s;
        }
        throw new MalformedPolicyException(element + " must be a string, not " + describe(json));
    }

    /** A string or a non-empty array of strings, as {@code Action}, {@code Resource} and principals are written. */
    static List<String> strings(Object json, String element, int maxItems) {
        if (json instanceof String s) {
            return List.of(s);
        }
        if (!(json instanceof List<?> list)) {
            throw new MalformedPolicyException(element + " must be a string or an array of strings, not "
                    + describe(json));
        }
        if (list.isEmpty()) {
            throw new MalformedPolicyException(element + " must not be an empty array");
        }
        if (list.size() > maxItems) {
            throw new MalformedPolicyException(element + " has " + list.size() + " entries; at most " + maxItems
                    + " are allowed");
        }
        List<String> strings = new ArrayList<>(list.size());
        for (Object item : list) {
            strings.add(string(item, element + " entry"));
        }
        return strings;
    }

    static String describe(Object json) {
        if (json == null) {
            return "null";
        }
        if (json instanceof Map) {
            return "an object";
        }
        if (json instanceof List) {
            return "an array";
        }
        if (json instanceof String s) {
            return "the string \"" + s + "\"";
        }
        return json.toString();
    }
}
