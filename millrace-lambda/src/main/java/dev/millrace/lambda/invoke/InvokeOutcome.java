package dev.millrace.lambda.invoke;

import java.util.Objects;

/**
 * What one invocation of a function with a batch came to, sorted by what the processing loop does next (facts §4.1,
 * §7).
 *
 * <p>Immutable as far as this class goes ({@code body} is not copied; nobody changes it). Thread-safe.
 *
 * @param kind            see {@link Kind}
 * @param statusCode      the HTTP status, 0 when no response came
 * @param body            the response body, empty when there was none or it was not kept (too large)
 * @param functionError   for {@link Kind#FUNCTION_ERROR}: the {@code X-Amz-Function-Error} value ({@code Unhandled}
 *                        when Millrace inferred the error); the OnFailure record's {@code functionError}. Else null.
 * @param errorType       for {@link Kind#FUNCTION_ERROR}: the error's type when known (from the body or the
 *                        {@code Error-Type} header), else null
 * @param executedVersion the {@code X-Amz-Executed-Version} header, {@code $LATEST} without one
 * @param retryAfterMs    for {@link Kind#THROTTLED}: the {@code Retry-After} header in milliseconds, -1 without one
 * @param detail          a short human-readable account, for logs and the mapping's LastProcessingResult
 */
public record InvokeOutcome(Kind kind, int statusCode, byte[] body, String functionError, String errorType,
                            String executedVersion, long retryAfterMs, String detail) {
    public static final String LATEST = "$LATEST";
    public static final String UNHANDLED = "Unhandled";
    private static final byte[] NO_BODY = new byte[0];

    public InvokeOutcome {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(executedVersion, "executedVersion");
        Objects.requireNonNull(detail, "detail");
    }

    /** What the loop does with each outcome. */
    public enum Kind {
        /** The function ran and returned {@code body}; {@link BatchResponse} says what it means for the batch. */
        SUCCESS(true),
        /**
         * The batch reached the function and it failed (error reported or inferred, timed out, its answer too large,
         * its connection dropped mid-call). Counts as an attempt against MaximumRetryAttempts; bisection applies.
         */
        FUNCTION_ERROR(true),
        /** 429: retried after a pause, without counting an attempt (§4.1). */
        THROTTLED(false),
        /**
         * 413: the endpoint refused the event as too large. Not an attempt; the same bytes will never pass, so the loop
         * should send smaller batches (halve) rather than repeat this one.
         */
        REQUEST_TOO_LARGE(false),
        /**
         * The batch did not reach the function: refused or unreachable endpoint, connect timeout, a service error
         * (5xx other than 502) or another refusal (4xx: wrong URL, say). Like a throttle: retried without counting,
         * until the records age out (§4.1 "service errors or throttles where the batch didn't reach the function").
         */
        NOT_DELIVERED(false);

        private final boolean reachedFunction;

        Kind(boolean reachedFunction) {
            this.reachedFunction = reachedFunction;
        }

        /** Whether this outcome counts as an attempt (MaximumRetryAttempts, approximateInvokeCount). */
        public boolean reachedFunction() {
            return reachedFunction;
        }
    }

    static InvokeOutcome success(int statusCode, byte[] body, String executedVersion) {
        return new InvokeOutcome(Kind.SUCCESS, statusCode, body, null, null, executedVersion, -1,
                "HTTP " + statusCode);
    }

    static InvokeOutcome functionError(int statusCode, byte[] body, String functionError, String errorType,
                                       String executedVersion, String detail) {
        return new InvokeOutcome(Kind.FUNCTION_ERROR, statusCode, body, functionError, errorType, executedVersion,
                -1, detail);
    }

    static InvokeOutcome throttled(long retryAfterMs) {
        return new InvokeOutcome(Kind.THROTTLED, 429, NO_BODY, null, null, LATEST, retryAfterMs, "HTTP 429");
    }

    static InvokeOutcome requestTooLarge() {
        return new InvokeOutcome(Kind.REQUEST_TOO_LARGE, 413, NO_BODY, null, null, LATEST, -1, "HTTP 413");
    }

    static InvokeOutcome notDelivered(int statusCode, String detail) {
        return new InvokeOutcome(Kind.NOT_DELIVERED, statusCode, NO_BODY, null, null, LATEST, -1, detail);
    }

    static byte[] noBody() {
        return NO_BODY;
    }
}
