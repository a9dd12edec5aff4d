package dev.millrace.app;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code millrace server --config FILE}: YAML, one key per option, the option's long name without its dashes, e.g.
 * <pre>
 * port: 4567
 * data-dir: /var/lib/millrace
 * create-stream: [orders:4, events:on-demand]
 * kafka-property:
 *   security.protocol: SASL_SSL
 * </pre>
 * A value is a scalar, as it would follow the option on the command line (its text is taken as written: {@code off}
 * stays {@code off}, not YAML 1.1's false); a repeatable option takes a list; {@code kafka-property} takes a mapping
 * (or a list of {@code KEY=VALUE}). An unknown key, a key given twice, a missing value or a nested one is an error
 * that names the file, the line and the key.
 *
 * <p>Immutable once read; thread-safe.
 */
final class ConfigFile {
    /** One key's value: {@code items} for a list or a mapping (as {@code KEY=VALUE}), else {@code text}. */
    record Value(String text, List<String> items, boolean mapping, int line) {
    }

    /** A file that cannot be used; the message names the file and, where it applies, the line and key. */
    static final class Problem extends Exception {
        private static final long serialVersionUID = 1L;

        Problem(String message) {
            super(message, null, false, false);
        }
    }

    private static final YAMLFactory YAML = new YAMLFactory();
    private final Path path;
    private final Map<String, Value> values;

    private ConfigFile(Path path, Map<String, Value> values) {
        this.path = path;
        this.values = values;
    }

    Path path() {
        return path;
    }

    /** The value of {@code key} (an option's long name without dashes), or {@code null}. */
    Value get(String key) {
        return values.get(key);
    }

    Set<String> keys() {
        return values.keySet();
    }

    /** Reads {@code path}; every key must be one of {@code knownKeys}. */
    static ConfigFile read(Path path, Collection<String> knownKeys) throws Problem {
        if (!Files.exists(path)) {
            throw new Problem("--config " + path + ": no such file");
        }
        if (Files.isDirectory(path) || !Files.isReadable(path)) {
            throw new Problem("--config " + path + ": " + (Files.isDirectory(path) ? "a directory, not a file"
                    : "permission denied"));
        }
        Map<String, Value> values = new LinkedHashMap<>();
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8);
             JsonParser p = YAML.createParser(in)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new ConfigFile(path, values);
            }
            if (first != JsonToken.START_OBJECT) {
                throw problem(path, p, "the file must be a mapping of option names to values, like 'port: 4567'");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int line = p.currentTokenLocation().getLineNr();
                if (!knownKeys.contains(key)) {
                    throw new Problem("config file " + path + " line " + line + ": unknown key '" + key + "'; the "
                            + "keys are millrace server's long options without their leading dashes (see millrace "
                            + "server --help)");
                }
                if (values.containsKey(key)) {
                    throw new Problem("config file " + path + " line " + line + ": key '" + key + "' is given twice"
                            + " (first on line " + values.get(key).line() + ")");
                }
                values.put(key, value(path, p, key, line));
            }
        } catch (JsonProcessingException e) {
            String where = e.getLocation() != null ? " line " + e.getLocation().getLineNr() : "";
            throw new Problem("config file " + path + where + ": not YAML that millrace can read: "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Problem("--config " + path + ": " + StartupProblem.reason(e));
        }
        return new ConfigFile(path, values);
    }

    /** The value after {@code key}, the parser on it. */
    private static Value value(Path path, JsonParser p, String key, int line) throws IOException, Problem {
        JsonToken token = p.nextToken();
        if (token == JsonToken.VALUE_NULL) {
            throw new Problem("config file " + path + " line " + line + ": key '" + key + "' has no value");
        }
        if (token.isScalarValue()) {
            return new Value(p.getText(), null, false, line);
        }
        List<String> items = new ArrayList<>();
        if (token == JsonToken.START_ARRAY) {
            while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null || !token.isScalarValue() || token == JsonToken.VALUE_NULL) {
                    throw problem(path, p, "key '" + key + "' takes a list of plain values");
                }
                items.add(p.getText());
            }
            return new Value(null, List.copyOf(items), false, line);
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            token = p.nextToken();
            if (!token.isScalarValue() || token == JsonToken.VALUE_NULL) {
                throw problem(path, p, "key '" + key + "." + name + "' takes a plain value");
            }
            items.add(name + "=" + p.getText());
        }
        return new Value(null, List.copyOf(items), true, line);
    }

    private static Problem problem(Path path, JsonParser p, String what) {
        return new Problem("config file " + path + " line " + p.currentTokenLocation().getLineNr() + ": " + what);
    }
}
