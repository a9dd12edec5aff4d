package dev.millrace.cloudwatch;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decodes an AWS query protocol body into the tree the handlers read. The protocol flattens structures into dotted
 * keys and lists into {@code .member.N} (N from 1):
 * <pre>
 *   Namespace=App&amp;MetricData.member.1.MetricName=Lag&amp;MetricData.member.1.Dimensions.member.1.Name=Shard
 *   becomes {Namespace: App, MetricData: [{MetricName: Lag, Dimensions: [{Name: Shard}]}]}
 * </pre>
 * Every scalar stays a string; {@link Inputs} converts.
 *
 * <p>Stateless, thread-safe.
 */
final class QueryForm {
    private QueryForm() {
    }

    static Map<String, Object> parse(byte[] body) {
        Map<String, Object> root = new LinkedHashMap<>();
        String form = new String(body, StandardCharsets.UTF_8);
        for (String pair : form.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            put(root, key.split("\\.", -1), 0, value, key);
        }
        return lists(root);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw CloudWatchException.malformed("The query string is malformed: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> node, String[] parts, int i, String value, String key) {
        String name = parts[i];
        if (i == parts.length - 1) {
            node.put(name, value);
            return;
        }
        if (parts[i + 1].equals("member") && i + 2 < parts.length) {
            Object existing = node.computeIfAbsent(name, k -> new TreeMap<Integer, Object>());
            if (!(existing instanceof TreeMap)) {
                throw conflict(key);
            }
            TreeMap<Integer, Object> list = (TreeMap<Integer, Object>) existing;
            int index = index(parts[i + 2], key);
            if (i + 2 == parts.length - 1) {
                list.put(index, value);
                return;
            }
            Object element = list.computeIfAbsent(index, k -> new LinkedHashMap<String, Object>());
            if (!(element instanceof LinkedHashMap)) {
                throw conflict(key);
            }
            put((Map<String, Object>) element, parts, i + 3, value, key);
            return;
        }
        Object child = node.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
        if (!(child instanceof LinkedHashMap)) {
            throw conflict(key);
        }
        put((Map<String, Object>) child, parts, i + 1, value, key);
    }

    private static int index(String s, String key) {
        try {
            int index = Integer.parseInt(s);
            if (index >= 1) {
                return index;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the whole key.
        }
        throw CloudWatchException.malformed("The parameter " + key + " has an invalid list index.");
    }

    private static CloudWatchException conflict(String key) {
        return CloudWatchException.malformed("The parameter " + key + " conflicts with another parameter.");
    }

    /** Turns the index-keyed maps into lists, in index order. */
    @SuppressWarnings("unchecked")
    private static <T> T lists(Object node) {
        if (node instanceof TreeMap) {
            ArrayList<Object> list = new ArrayList<>();
            for (Object v : ((TreeMap<Integer, Object>) node).values()) {
                list.add(lists(v));
            }
            return (T) list;
        }
        if (node instanceof Map) {
            Map<String, Object> map = (Map<String, Object>) node;
            map.replaceAll((k, v) -> lists(v));
            return (T) map;
        }
        return (T) node;
    }
}
