package dev.millrace.lambda.mapping;

import java.util.List;
import java.util.Map;

/**
 * One event source mapping as kept: its settings with Lambda's Kinesis defaults filled in, and its state. Immutable,
 * thread-safe.
 *
 * @param functionArn                 the FunctionArn the API answers: the function's ARN, with the qualifier the
 *                                    mapping was given (Millrace has no versions or aliases: every qualifier invokes
 *                                    the registered function)
 * @param startingPositionTimestampMs with AT_TIMESTAMP only, else null
 * @param filterPatterns              FilterCriteria's patterns, empty for none
 * @param onFailureDestination        an S3 bucket ARN or a Kinesis stream ARN, or null
 * @param kmsKeyArn                   kept and echoed; Millrace stores filter criteria unencrypted
 * @param metrics                     MetricsConfig's Metrics, null when never set
 * @param tags                        the tags given on creation (no tag operations yet)
 * @param enabled                     what the user asked for; {@code state} says how far the engine has got
 * @param lastModifiedMs              the last change of settings or state
 */
public record EventSourceMapping(String uuid, String functionArn, String eventSourceArn, String startingPosition,
                                 Long startingPositionTimestampMs, int batchSize, int maximumBatchingWindowSeconds,
                                 int parallelizationFactor, int maximumRecordAgeSeconds,
                                 boolean bisectBatchOnFunctionError, int maximumRetryAttempts,
                                 int tumblingWindowSeconds, List<String> functionResponseTypes,
                                 List<String> filterPatterns, String onFailureDestination, String kmsKeyArn,
                                 List<String> metrics, Map<String, String> tags, boolean enabled, MappingState state,
                                 String stateTransitionReason, String lastProcessingResult, long lastModifiedMs) {
    /** Lambda's StateTransitionReason for a Kinesis mapping changed by its user (SQS mappings say USER_INITIATED). */
    public static final String USER_ACTION = "User action";
    /** LastProcessingResult before the first batch. */
    public static final String NO_RECORDS_PROCESSED = "No records processed";

    public EventSourceMapping {
        functionResponseTypes = List.copyOf(functionResponseTypes);
        filterPatterns = List.copyOf(filterPatterns);
        metrics = metrics == null ? null : List.copyOf(metrics);
        tags = Map.copyOf(tags);
    }

    /** The function's name (its registration's, FunctionRegistry's key): the ARN without qualifier or prefix. */
    public String functionName() {
        String rest = functionArn.substring(functionArn.indexOf(":function:") + ":function:".length());
        int colon = rest.indexOf(':');
        return colon < 0 ? rest : rest.substring(0, colon);
    }

    /** Whether the function reports partial failures (FunctionResponseTypes ReportBatchItemFailures). */
    public boolean reportsBatchItemFailures() {
        return functionResponseTypes.contains("ReportBatchItemFailures");
    }

    public EventSourceMapping withState(MappingState newState, long nowMs) {
        return new EventSourceMapping(uuid, functionArn, eventSourceArn, startingPosition,
                startingPositionTimestampMs, batchSize, maximumBatchingWindowSeconds, parallelizationFactor,
                maximumRecordAgeSeconds, bisectBatchOnFunctionError, maximumRetryAttempts, tumblingWindowSeconds,
                functionResponseTypes, filterPatterns, onFailureDestination, kmsKeyArn, metrics, tags, enabled,
                newState, stateTransitionReason, lastProcessingResult, nowMs);
    }

    public EventSourceMapping withLastProcessingResult(String result) {
        return new EventSourceMapping(uuid, functionArn, eventSourceArn, startingPosition,
                startingPositionTimestampMs, batchSize, maximumBatchingWindowSeconds, parallelizationFactor,
                maximumRecordAgeSeconds, bisectBatchOnFunctionError, maximumRetryAttempts, tumblingWindowSeconds,
                functionResponseTypes, filterPatterns, onFailureDestination, kmsKeyArn, metrics, tags, enabled,
                state, stateTransitionReason, result, lastModifiedMs);
    }
}
