package dev.millrace.lambda;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.millrace.lambda.filter.EventFilter;
import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The settings a CreateEventSourceMapping or UpdateEventSourceMapping body gives (null: not given), read and checked
 * in AWS's order: first every constraint of the model at once ({@link Violations}: ValidationException), then the
 * rules Lambda applies to a Kinesis source ({@link #checkForKinesis}: InvalidParameterValueException with AWS's
 * messages, facts §2.3-2.4). What needs the server's state (the function, the stream, the destination, duplicates)
 * the handlers check.
 *
 * <p>Not thread-safe: one per request.
 */
final class MappingInput {
    static final List<String> STARTING_POSITIONS = List.of("LATEST", "AT_TIMESTAMP", "TRIM_HORIZON");
    static final String REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures";
    static final List<String> METRICS = List.of("EventCount", "ErrorCount", "KafkaMetrics");
    /** Lambda's default quota of filters per mapping (raisable to 10 on AWS). */
    static final int MAX_FILTERS = 5;
    static final int MAX_PATTERN_CHARS = 4096;
    /** Lambda's quota of tags per resource. */
    static final int MAX_TAGS = 50;
    static final String ARN_REGEX = "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))"
            + "?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)";
    private static final Pattern ARN = Pattern.compile(ARN_REGEX);
    static final String DESTINATION_REGEX = "$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|" + ARN_REGEX;
    private static final Pattern DESTINATION = Pattern.compile(DESTINATION_REGEX);
    static final String KMS_REGEX = "(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()";
    private static final Pattern KMS = Pattern.compile(KMS_REGEX);
    static final String TAG_REGEX = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)";
    private static final Pattern TAG = Pattern.compile(TAG_REGEX);
    private static final Pattern FUNCTION = Pattern.compile(FunctionRef.MODEL_PATTERN);
    /** Members of other source types (facts §1.1): present on a Kinesis mapping, Lambda refuses them. */
    private static final List<String> NOT_FOR_KINESIS_CREATE = List.of("Topics", "Queues",
            "SourceAccessConfigurations", "SelfManagedEventSource", "ScalingConfig",
            "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig",
            "ProvisionedPollerConfig", "LoggingConfig");
    /** Update's shape has no Topics, Queues or SelfManagedEventSource: a deserializer ignores them there. */
    private static final List<String> NOT_FOR_KINESIS_UPDATE = List.of("SourceAccessConfigurations",
            "ScalingConfig", "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig",
            "DocumentDBEventSourceConfig", "ProvisionedPollerConfig", "LoggingConfig");
    private static final JsonFactory PATTERN_JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build();

    private final JsonBody body;
    private final boolean create;
    String functionName;
    String eventSourceArn;
    String startingPosition;
    BigDecimal startingPositionTimestamp;
    Boolean enabled;
    Integer batchSize;
    Integer maximumBatchingWindowSeconds;
    Integer parallelizationFactor;
    Integer maximumRecordAgeSeconds;
    Boolean bisectBatchOnFunctionError;
    Integer maximumRetryAttempts;
    Integer tumblingWindowSeconds;
    List<String> functionResponseTypes;
    /** Null: not given; empty: FilterCriteria given without filters (which clears them on Update). */
    List<String> filterPatterns;
    /** Whether DestinationConfig was given (an absent or empty OnFailure destination then clears it). */
    boolean destinationGiven;
    String onFailureDestination;
    String onSuccessDestination;
    String kmsKeyArn;
    List<String> metrics;
    Map<String, String> tags;

    private MappingInput(JsonBody body, boolean create) {
        this.body = body;
        this.create = create;
    }

    /**
     * Reads a Create ({@code create}) or Update body's members.
     *
     * @throws LambdaException InvalidRequestContentException for a member of the wrong JSON type, ValidationException
     *                         for the model's constraints
     */
    static MappingInput read(JsonBody body, boolean create) {
        MappingInput in = new MappingInput(body, create);
        in.readMembers();
        in.checkModel();
        return in;
    }

    private void readMembers() {
        functionName = body.string("FunctionName");
        if (create) {
            eventSourceArn = body.string("EventSourceArn");
            startingPosition = body.string("StartingPosition");
            startingPositionTimestamp = body.epochSeconds("StartingPositionTimestamp");
            tags = body.stringMap("Tags");
        }
        enabled = body.bool("Enabled");
        batchSize = body.integer("BatchSize");
        maximumBatchingWindowSeconds = body.integer("MaximumBatchingWindowInSeconds");
        parallelizationFactor = body.integer("ParallelizationFactor");
        maximumRecordAgeSeconds = body.integer("MaximumRecordAgeInSeconds");
        bisectBatchOnFunctionError = body.bool("BisectBatchOnFunctionError");
        maximumRetryAttempts = body.integer("MaximumRetryAttempts");
        tumblingWindowSeconds = body.integer("TumblingWindowInSeconds");
        functionResponseTypes = body.strings("FunctionResponseTypes");
        JsonBody filterCriteria = body.structure("FilterCriteria");
        if (filterCriteria != null) {
            filterPatterns = new ArrayList<>();
            List<JsonBody> filters = filterCriteria.structures("Filters");
            for (JsonBody f : filters == null ? List.<JsonBody>of() : filters) {
                filterPatterns.add(f.string("Pattern"));
            }
        }
        JsonBody destination = body.structure("DestinationConfig");
        if (destination != null) {
            destinationGiven = true;
            JsonBody onFailure = destination.structure("OnFailure");
            onFailureDestination = onFailure == null ? null : onFailure.string("Destination");
            JsonBody onSuccess = destination.structure("OnSuccess");
            onSuccessDestination = onSuccess == null ? null : onSuccess.string("Destination");
        }
        kmsKeyArn = body.string("KMSKeyArn");
        JsonBody metricsConfig = body.structure("MetricsConfig");
        if (metricsConfig != null) {
            metrics = metricsConfig.strings("Metrics");
            metrics = metrics == null ? List.of() : metrics;
        }
    }

    /** The model's constraints (botocore lambda 2015-03-31), every violation at once. */
    private void checkModel() {
        Violations v = new Violations();
        if (create && functionName == null) {
            v.add(null, "functionName", "Member must not be null");
        }
        v.length(functionName, "functionName", 1, FunctionRef.MAX_CHARS);
        v.pattern(functionName, "functionName", FUNCTION, FunctionRef.MODEL_PATTERN);
        v.length(eventSourceArn, "eventSourceArn", 0, 10_000);
        v.pattern(eventSourceArn, "eventSourceArn", ARN, ARN_REGEX);
        v.oneOf(startingPosition, "startingPosition", STARTING_POSITIONS);
        v.range(batchSize, "batchSize", 1, 10_000);
        v.range(maximumBatchingWindowSeconds, "maximumBatchingWindowInSeconds", 0, 300);
        v.range(parallelizationFactor, "parallelizationFactor", 1, 10);
        v.range(maximumRecordAgeSeconds, "maximumRecordAgeInSeconds", -1, 604_800);
        v.range(maximumRetryAttempts, "maximumRetryAttempts", -1, 10_000);
        v.range(tumblingWindowSeconds, "tumblingWindowInSeconds", 0, 900);
        if (functionResponseTypes != null) {
            if (functionResponseTypes.size() > 1) {
                v.add(functionResponseTypes, "functionResponseTypes", "Member must have length less than or equal"
                        + " to 1");
            } else if (!functionResponseTypes.isEmpty()
                    && !REPORT_BATCH_ITEM_FAILURES.equals(functionResponseTypes.get(0))) {
                v.add(functionResponseTypes, "functionResponseTypes", Violations.listEnumConstraint(
                        List.of(REPORT_BATCH_ITEM_FAILURES)));
            }
        }
        for (int i = 0; filterPatterns != null && i < filterPatterns.size(); i++) {
            v.length(filterPatterns.get(i), "filterCriteria.filters." + (i + 1) + ".member.pattern", 0,
                    MAX_PATTERN_CHARS);
        }
        v.length(onFailureDestination, "destinationConfig.onFailure.destination", 0, 350);
        v.pattern(onFailureDestination, "destinationConfig.onFailure.destination", DESTINATION, DESTINATION_REGEX);
        v.length(kmsKeyArn, "kMSKeyArn", 0, 10_000);
        v.pattern(kmsKeyArn, "kMSKeyArn", KMS, KMS_REGEX);
        if (metrics != null) {
            if (metrics.size() > METRICS.size()) {
                v.add(metrics, "metricsConfig.metrics", "Member must have length less than or equal to 3");
            } else if (!METRICS.containsAll(metrics)) {
                v.add(metrics, "metricsConfig.metrics", Violations.listEnumConstraint(METRICS));
            }
        }
        checkTags(v);
        v.throwIfAny();
    }

    private void checkTags(Violations v) {
        if (tags == null) {
            return;
        }
        for (Map.Entry<String, String> t : tags.entrySet()) {
            String key = t.getKey();
            if (key.isEmpty() || key.length() > 128 || !TAG.matcher(key).matches()) {
                v.add(key, "tags", "Map keys must satisfy constraint: [Member must have length less than or equal to"
                        + " 128, Member must have length greater than or equal to 1, Member must satisfy regular"
                        + " expression pattern: " + TAG_REGEX + "]");
            }
            if (t.getValue().length() > 256 || !TAG.matcher(t.getValue()).matches()) {
                v.add(t.getValue(), "tags." + key, "Map value must satisfy constraint: [Member must have length less"
                        + " than or equal to 256, Member must satisfy regular expression pattern: " + TAG_REGEX
                        + "]");
            }
        }
    }

    /**
     * Lambda's rules for a Kinesis source that need no lookups: members of other source types, OnSuccess, the
     * record age's gap, StartingPosition (Create), the filters' structure, metrics, the tag count.
     *
     * @throws LambdaException InvalidParameterValueException
     */
    void checkForKinesis(long nowMs) {
        for (String member : create ? NOT_FOR_KINESIS_CREATE : NOT_FOR_KINESIS_UPDATE) {
            if (body.has(member)) {
                throw LambdaException.invalidParameter("Unsupported '" + Character.toLowerCase(member.charAt(0))
                        + member.substring(1) + "' parameter for given event source mapping type.");
            }
        }
        if (onSuccessDestination != null && !onSuccessDestination.isEmpty()) {
            throw LambdaException.invalidParameter("Unsupported DestinationConfig parameter for given event source "
                    + "mapping type.");
        }
        if (maximumRecordAgeSeconds != null && maximumRecordAgeSeconds >= 0 && maximumRecordAgeSeconds < 60) {
            throw LambdaException.invalidParameter("MaximumRecordAgeInSeconds must be either -1 (forever) or between"
                    + " 60 and 604800 (inclusive)");
        }
        if (create) {
            checkStartingPosition(nowMs);
        }
        checkFilters();
        if (metrics != null) {
            for (String metric : metrics) {
                if (!"EventCount".equals(metric)) {
                    throw LambdaException.invalidParameter("Unsupported MetricsConfig metric '" + metric
                            + "' for given event source mapping type: a Kinesis mapping has EventCount only.");
                }
            }
        }
        if (tags != null && tags.size() > MAX_TAGS) {
            throw LambdaException.invalidParameter("An event source mapping has at most " + MAX_TAGS + " tags, not "
                    + tags.size() + ".");
        }
    }

    private void checkStartingPosition(long nowMs) {
        if (startingPosition == null) {
            throw LambdaException.invalidParameter("1 validation error detected: Value null at 'startingPosition'"
                    + " failed to satisfy constraint: Member must not be null.");
        }
        if (!"AT_TIMESTAMP".equals(startingPosition)) {
            return;
        }
        if (startingPositionTimestamp == null) {
            throw LambdaException.invalidParameter("StartingPositionTimestamp is required when StartingPosition is"
                    + " AT_TIMESTAMP.");
        }
        if (startingPositionTimestamp.signum() < 0) {
            throw LambdaException.invalidParameter("StartingPositionTimestamp must not be before 1970-01-01.");
        }
        if (startingPositionTimestamp.compareTo(LambdaJson.epochSeconds(nowMs)) > 0) {
            throw LambdaException.invalidParameter("StartingPositionTimestamp cannot be in the future.");
        }
    }

    /**
     * FilterCriteria's structure: at most {@link #MAX_FILTERS} filters, each pattern a JSON object; the pattern
     * language is checked at {@link #patternLanguageProblem}.
     */
    private void checkFilters() {
        if (filterPatterns == null) {
            return;
        }
        if (filterPatterns.size() > MAX_FILTERS) {
            throw LambdaException.invalidParameter("FilterCriteria holds " + filterPatterns.size() + " filters; an "
                    + "event source mapping has at most " + MAX_FILTERS + ".");
        }
        for (String pattern : filterPatterns) {
            if (pattern == null || !isJsonObject(pattern)) {
                throw LambdaException.invalidParameter(EventFilter.INVALID_PATTERN);
            }
            patternLanguageProblem(pattern).ifPresent(problem -> {
                throw LambdaException.invalidParameter(problem);
            });
        }
        // The mapping's patterns together, as the engine compiles them: their complexity adds up.
        patternLanguageProblem(filterPatterns).ifPresent(problem -> {
            throw LambdaException.invalidParameter(problem);
        });
    }

    /** The pattern language's check (EventBridge's syntax, {@code Invalid filter pattern definition.}). */
    static Optional<String> patternLanguageProblem(String pattern) {
        return EventFilter.check(pattern);
    }

    /** The same for a mapping's patterns as one filter. */
    static Optional<String> patternLanguageProblem(List<String> patterns) {
        try {
            EventFilter.compile(patterns);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(EventFilter.INVALID_PATTERN);
        }
    }

    private static boolean isJsonObject(String text) {
        try (JsonParser p = PATTERN_JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    /** StartingPositionTimestamp in epoch ms (AT_TIMESTAMP only), the fraction below a millisecond dropped. */
    Long startingPositionTimestampMs() {
        if (!"AT_TIMESTAMP".equals(startingPosition) || startingPositionTimestamp == null) {
            return null;
        }
        return startingPositionTimestamp.movePointRight(3).setScale(0, RoundingMode.DOWN).longValueExact();
    }

    /**
     * {@code base} with the settings given here, {@code functionArn}, {@code state} and {@code nowMs} as its last
     * modification. StateTransitionReason: {@link EventSourceMapping#USER_ACTION}.
     */
    EventSourceMapping applyTo(EventSourceMapping base, String functionArn, MappingState state, long nowMs) {
        List<String> patterns = filterPatterns != null ? filterPatterns : base.filterPatterns();
        String destination = destinationGiven ? emptyToNull(onFailureDestination) : base.onFailureDestination();
        return new EventSourceMapping(base.uuid(), functionArn, base.eventSourceArn(), base.startingPosition(),
                base.startingPositionTimestampMs(), or(batchSize, base.batchSize()),
                or(maximumBatchingWindowSeconds, base.maximumBatchingWindowSeconds()),
                or(parallelizationFactor, base.parallelizationFactor()),
                or(maximumRecordAgeSeconds, base.maximumRecordAgeSeconds()),
                bisectBatchOnFunctionError != null ? bisectBatchOnFunctionError : base.bisectBatchOnFunctionError(),
                or(maximumRetryAttempts, base.maximumRetryAttempts()),
                or(tumblingWindowSeconds, base.tumblingWindowSeconds()),
                functionResponseTypes != null ? functionResponseTypes : base.functionResponseTypes(), patterns,
                destination, kmsKeyArn != null ? emptyToNull(kmsKeyArn) : base.kmsKeyArn(),
                metrics != null ? metrics : base.metrics(), base.tags(),
                enabled != null ? enabled : base.enabled(), state, EventSourceMapping.USER_ACTION,
                base.lastProcessingResult(), nowMs);
    }

    private static int or(Integer given, int base) {
        return given != null ? given : base;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
