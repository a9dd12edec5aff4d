package dev.millrace.lambda.filter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import software.amazon.event.ruler.JsonRuleCompiler;
import software.amazon.event.ruler.Machine;
import software.amazon.event.ruler.MatchType;
import software.amazon.event.ruler.MachineComplexityEvaluator;
import software.amazon.event.ruler.Patterns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A mapping's FilterCriteria over Kinesis records (facts §6): a record is kept when any filter matches it (filters are
 * ORed), dropped otherwise; no filters keep everything.
 *
 * <p>What a pattern addresses: the record object inside {@code kinesis}, and of it only {@code data}, base64-decoded
 * and parsed as JSON; so {@code {"data":{"temperature":[{"numeric":[">",30]}]}}}. A pattern on any other key
 * ({@code partitionKey}, {@code sequenceNumber}, ...) is refused as invalid: AWS's current Kinesis filtering page says
 * "Kinesis event source mappings only support filtering on the data key" (older pages showed metadata filters), and a
 * pattern Millrace accepted but AWS refused would not carry over. A record whose data is not JSON (not UTF-8, not
 * exactly one JSON value, or nested deeper than {@link #MAX_DATA_DEPTH} levels) matches no pattern and is dropped, as
 * Lambda drops non-JSON data under a data pattern.
 *
 * <p>Bounds: at most {@link #MAX_FILTERS} patterns (Lambda's quota: 5, raisable to 10) of at most
 * {@link #MAX_PATTERN_CHARS} characters (the API's limit), whose wildcard complexity (event-ruler's
 * {@link MachineComplexityEvaluator}: how many wildcard prefixes one value can keep alive at once, which is what makes
 * matching slow) stays within {@link #MAX_COMPLEXITY}. Data is parsed with Jackson's default limits (event-ruler's own
 * parser has the same) and a nesting limit well below them, so event-ruler never meets a document it cannot parse,
 * and its recursion, one frame per level it descends, stays shallow; memory is bounded by the record's size.
 *
 * <p>Immutable and thread-safe: event-ruler's {@link Machine} matches from many threads once built.
 */
public final class EventFilter {
    /** AWS's message for a bad pattern (InvalidParameterValueException). */
    public static final String INVALID_PATTERN = "Invalid filter pattern definition.";
    public static final int MAX_FILTERS = 10;
    public static final int MAX_PATTERN_CHARS = 4096;
    /** Millrace's bound; AWS does not publish one. Event-ruler's README: complexity 34 still matches 3,500 events/s. */
    public static final int MAX_COMPLEXITY = 32;
    /** Nesting allowed in a record's data; the event wraps it in one more object. */
    public static final int MAX_DATA_DEPTH = 255;
    /**
     * Nesting allowed in a pattern: {@code data}'s object, the data's levels, and an operator's three
     * ({@code [{"numeric":[...]}]}); a deeper pattern could match no record, and is refused before event-ruler
     * compiles it (one frame per level).
     */
    public static final int MAX_PATTERN_DEPTH = 1 + MAX_DATA_DEPTH + 3;
    /** Keeps every record. */
    public static final EventFilter NONE = new EventFilter(null);

    private static final String DATA = "data";
    private static final JsonFactory DATA_JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DATA_DEPTH).build())
            .build();
    private static final JsonFactory PATTERN_JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_PATTERN_DEPTH).build())
            .build();

    private final Machine machine;

    private EventFilter(Machine machine) {
        this.machine = machine;
    }

    /** What is wrong with {@code pattern} as AWS words it ({@link #INVALID_PATTERN}), or empty when it is valid. */
    public static Optional<String> check(String pattern) {
        if (pattern == null) {
            return Optional.of(INVALID_PATTERN);
        }
        try {
            compile(List.of(pattern));
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(INVALID_PATTERN);
        }
    }

    /**
     * The filter of a mapping's patterns ({@link #NONE} for none).
     *
     * @throws IllegalArgumentException with {@link #INVALID_PATTERN} for an invalid pattern, or a message saying the
     *                                  limit for too many of them
     */
    public static EventFilter compile(List<String> patterns) {
        if (patterns.isEmpty()) {
            return NONE;
        }
        if (patterns.size() > MAX_FILTERS) {
            throw new IllegalArgumentException("At most " + MAX_FILTERS + " filters are allowed, got "
                    + patterns.size() + ".");
        }
        Machine machine = Machine.builder().build();
        for (int i = 0; i < patterns.size(); i++) {
            for (Map<String, List<Patterns>> rule : rules(patterns.get(i))) {
                machine.addPatternRule("filter-" + i, rule);
            }
        }
        if (machine.evaluateComplexity(new MachineComplexityEvaluator(MAX_COMPLEXITY + 1)) > MAX_COMPLEXITY) {
            throw new IllegalArgumentException(INVALID_PATTERN);
        }
        return new EventFilter(machine);
    }

    /** Whether this filter keeps nothing out. */
    public boolean isEmpty() {
        return machine == null;
    }

    /** Whether a record with these data bytes (raw, not base64) is kept. */
    public boolean matches(byte[] data) {
        if (machine == null) {
            return true;
        }
        String json = jsonText(data);
        if (json == null) {
            return false;
        }
        try {
            return !machine.rulesForJSONEvent("{\"data\":" + json + "}").isEmpty();
        } catch (Exception e) {
            // jsonText accepted it, so event-ruler should parse it; if not, the record is as good as not JSON.
            return false;
        }
    }

    private static List<Map<String, List<Patterns>>> rules(String pattern) {
        if (pattern == null || pattern.isBlank() || pattern.length() > MAX_PATTERN_CHARS || tooDeep(pattern)) {
            throw new IllegalArgumentException(INVALID_PATTERN);
        }
        List<Map<String, List<Patterns>>> rules;
        try {
            rules = JsonRuleCompiler.compile(pattern, true);
        } catch (Exception | StackOverflowError e) {
            throw new IllegalArgumentException(INVALID_PATTERN, e);
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException(INVALID_PATTERN);
        }
        for (Map<String, List<Patterns>> rule : rules) {
            if (rule.isEmpty()) {
                throw new IllegalArgumentException(INVALID_PATTERN);
            }
            for (Map.Entry<String, List<Patterns>> field : rule.entrySet()) {
                String key = field.getKey();
                if (!key.equals(DATA) && !key.startsWith(DATA + ".")) {
                    throw new IllegalArgumentException(INVALID_PATTERN);
                }
                for (Patterns p : field.getValue()) {
                    // Refused before a machine is built: a few wildcard values cost event-ruler seconds of CPU to
                    // compile, and Lambda's filtering docs do not list the operator for event source mappings.
                    if (p.type() == MatchType.WILDCARD || p.type() == MatchType.ANYTHING_BUT_WILDCARD) {
                        throw new IllegalArgumentException(INVALID_PATTERN);
                    }
                }
            }
        }
        return new ArrayList<>(rules);
    }

    /** Whether the pattern nests deeper than {@link #MAX_PATTERN_DEPTH} (other faults are event-ruler's to find). */
    static boolean tooDeep(String pattern) {
        try (JsonParser p = PATTERN_JSON.createParser(pattern)) {
            while (p.nextToken() != null) {
                // Reading is the check.
            }
            return false;
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The data as JSON text when it is exactly one JSON value in UTF-8 within the limits, else null. */
    static String jsonText(byte[] data) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        try (JsonParser p = DATA_JSON.createParser(text)) {
            if (p.nextToken() == null) {
                return null;
            }
            p.skipChildren();
            return p.nextToken() == null ? text : null;
        } catch (IOException e) {
            return null;
        }
    }
}
