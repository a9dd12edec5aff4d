package dev.millrace.loadgen;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failures of the run, counted by {@code Operation:ErrorType} (e.g. {@code PutRecords:InternalFailure}), with
 * throttles kept apart from other errors. Failed entries of a PutRecords response count one each under their
 * {@code ErrorCode}, as failed calls do: a load generator that reports only failed calls would hide a server that
 * answers 200 and drops half the batch. Nothing is retried behind the report's back (the SDK's retries are off).
 *
 * <p>Thread-safe.
 */
public final class ErrorCounts {
    /** Error codes that mean "slow down" rather than "broken". */
    static final Set<String> THROTTLES = Set.of("ProvisionedThroughputExceededException", "LimitExceededException",
            "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown");

    private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> throttles = new ConcurrentHashMap<>();
    /** The first message seen per key, so a report can say what went wrong and not only how often. */
    private final ConcurrentHashMap<String, String> firstMessages = new ConcurrentHashMap<>();

    /** Counts a failed call. */
    public void failedCall(String operation, Throwable failure) {
        Throwable cause = unwrap(failure);
        count(operation, errorType(cause), 1, String.valueOf(cause.getMessage()));
    }

    /** Counts {@code records} failed entries of one PutRecords response with the same {@code errorCode}. */
    public void failedRecords(String operation, String errorCode, long records, String message) {
        count(operation, errorCode == null ? "UnknownRecordError" : errorCode, records, message);
    }

    private void count(String operation, String type, long n, String message) {
        String key = operation + ":" + type;
        (THROTTLES.contains(type) ? throttles : errors).computeIfAbsent(key, k -> new LongAdder()).add(n);
        firstMessages.putIfAbsent(key, message == null ? "" : message);
    }

    /** The AWS error code of a service error; the exception's class (and its cause's) for anything else. */
    static String errorType(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof AwsServiceException aws && aws.awsErrorDetails() != null
                && aws.awsErrorDetails().errorCode() != null) {
            return aws.awsErrorDetails().errorCode();
        }
        if (cause instanceof SdkClientException && cause.getCause() != null) {
            return cause.getClass().getSimpleName() + "(" + cause.getCause().getClass().getSimpleName() + ")";
        }
        return cause.getClass().getSimpleName();
    }

    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    public Map<String, Long> errors() {
        return snapshot(errors);
    }

    public Map<String, Long> throttles() {
        return snapshot(throttles);
    }

    public Map<String, String> firstMessages() {
        return new TreeMap<>(firstMessages);
    }

    public long totalErrors() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long totalThrottles() {
        return throttles.values().stream().mapToLong(LongAdder::sum).sum();
    }

    private static Map<String, Long> snapshot(ConcurrentHashMap<String, LongAdder> counts) {
        Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.sum()));
        return sorted;
    }
}
