package dev.millrace.lambda.failure;

import dev.millrace.lambda.invoke.BatchResponse;
import dev.millrace.lambda.invoke.InvokeOutcome;

import java.time.Instant;
import java.util.Objects;

/**
 * One OnFailure invocation record: why a batch was discarded and what the last attempt got back.
 *
 * <p>Immutable, thread-safe.
 *
 * @param requestId              a fresh UUID (Lambda's request id of the record)
 * @param functionArn            the function's ARN as the mapping names it
 * @param approximateInvokeCount attempts that reached the function: 1 + retries (AWS-recorded)
 * @param response               the last attempt's answer; null for {@link Condition#RECORD_AGE_EXCEEDED}, whose
 *                               record has no responseContext
 * @param timestamp              when the batch was discarded
 */
public record InvocationRecord(String requestId, String functionArn, Condition condition, int approximateInvokeCount,
                               ResponseContext response, Instant timestamp, KinesisBatchInfo batchInfo) {
    public InvocationRecord {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(functionArn, "functionArn");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(batchInfo, "batchInfo");
        if (condition == Condition.RECORD_AGE_EXCEEDED && response != null) {
            throw new IllegalArgumentException("RecordAgeExceeded records have no responseContext");
        }
    }

    /** Why the batch was discarded. */
    public enum Condition {
        /** MaximumRetryAttempts used up. */
        RETRY_ATTEMPTS_EXHAUSTED("RetryAttemptsExhausted"),
        /** The records grew older than MaximumRecordAgeInSeconds (or expired). */
        RECORD_AGE_EXCEEDED("RecordAgeExceeded");

        private final String awsName;

        Condition(String awsName) {
            this.awsName = awsName;
        }

        public String awsName() {
            return awsName;
        }
    }

    /**
     * The {@code responseContext} of the last attempt. Immutable, thread-safe.
     *
     * @param functionError {@code Unhandled} (or the X-Amz-Function-Error value) after a function error; null when the
     *                      function answered and its answer failed the batch (batchItemFailures), as AWS records it
     */
    public record ResponseContext(int statusCode, String executedVersion, String functionError) {
        public ResponseContext {
            Objects.requireNonNull(executedVersion, "executedVersion");
        }

        /**
         * The context of a last attempt that was a function error. With no HTTP answer (timed out, connection lost)
         * the status is 200: Lambda's Invoke answers 200 for every function error, timeouts included.
         */
        public static ResponseContext ofFunctionError(InvokeOutcome outcome) {
            if (outcome.kind() != InvokeOutcome.Kind.FUNCTION_ERROR) {
                throw new IllegalArgumentException("not a function error: " + outcome.kind());
            }
            int status = outcome.statusCode() == 0 ? 200 : outcome.statusCode();
            return new ResponseContext(status, outcome.executedVersion(), outcome.functionError());
        }

        /** The context of a last attempt that succeeded but whose response failed the batch ({@link BatchResponse}). */
        public static ResponseContext ofFailedResponse(InvokeOutcome outcome) {
            if (outcome.kind() != InvokeOutcome.Kind.SUCCESS) {
                throw new IllegalArgumentException("not a success: " + outcome.kind());
            }
            return new ResponseContext(outcome.statusCode(), outcome.executedVersion(), null);
        }
    }
}
