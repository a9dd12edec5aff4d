package dev.millrace.lambda.invoke;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * Sorts an HTTP answer from a function's URL into an {@link InvokeOutcome} (facts §7.1, §7.2). In this order:
 * <ol>
 *   <li>429 is {@code THROTTLED}, 413 {@code REQUEST_TOO_LARGE};
 *   <li>{@code X-Amz-Function-Error} (Lambda, LocalStack) or {@code Error-Type} (the emulator's managed-instances
 *       mode) makes a {@code FUNCTION_ERROR};
 *   <li>502 is a {@code FUNCTION_ERROR}: the emulator's answer when the function failed to start or its invocation
 *       ended in failure;
 *   <li>other non-2xx statuses are {@code NOT_DELIVERED} (service errors and refusals: the batch did not run);
 *   <li>a 2xx answer larger than the response limit is a {@code FUNCTION_ERROR}
 *       ({@code Function.ResponseSizeTooLarge});
 *   <li>a 2xx answer is a {@code FUNCTION_ERROR} when its body is the classic emulator's account of one, since that
 *       emulator drops every error header and answers 200 (see below);
 *   <li>anything else 2xx is {@code SUCCESS}.
 * </ol>
 *
 * <p>The classic-emulator heuristic, in one place: a 2xx body is a function error when it starts with
 * {@code Task timed out after} (the emulator's timeout text), or when it is a JSON object that has both
 * {@code errorType} and {@code errorMessage} and no keys but those and {@code stackTrace}, {@code trace},
 * {@code requestId}, {@code cause} (the error shapes the runtimes post). A function that really returns such an
 * object is read as failing; behind the classic emulator the two cannot be told apart.
 *
 * <p>Stateless, thread-safe.
 */
final class InvokeResponses {
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] TIMED_OUT_PREFIX = "Task timed out after".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> ERROR_OBJECT_EXTRA_KEYS = Set.of("stackTrace", "trace", "requestId", "cause");
    private static final String TIMED_OUT_TYPE = "Sandbox.Timedout";
    private static final String TOO_LARGE_TYPE = "Function.ResponseSizeTooLarge";

    private InvokeResponses() {
    }

    static InvokeOutcome classify(int status, HttpHeaders headers, BoundedBody.Body body) {
        if (status == 429) {
            return InvokeOutcome.throttled(retryAfterMs(headers));
        }
        if (status == 413) {
            return InvokeOutcome.requestTooLarge();
        }
        String version = headers.firstValue("X-Amz-Executed-Version").orElse(InvokeOutcome.LATEST);
        byte[] bytes = body.bytes();
        String functionError = headers.firstValue("X-Amz-Function-Error").orElse(null);
        String errorTypeHeader = headers.firstValue("Error-Type").orElse(null);
        if (functionError != null || errorTypeHeader != null || status == 502) {
            String type = errorTypeHeader != null ? errorTypeHeader : errorObjectType(bytes, false);
            return InvokeOutcome.functionError(status, bytes, functionError != null ? functionError
                    : InvokeOutcome.UNHANDLED, type, version, "function error (HTTP " + status + ")");
        }
        if (status < 200 || status > 299) {
            return InvokeOutcome.notDelivered(status, "HTTP " + status + " from the function's URL");
        }
        if (body.tooLarge()) {
            return InvokeOutcome.functionError(status, bytes, InvokeOutcome.UNHANDLED, TOO_LARGE_TYPE, version,
                    "response larger than " + FunctionInvoker.MAX_RESPONSE_BYTES + " bytes");
        }
        if (startsWith(bytes, TIMED_OUT_PREFIX)) {
            return InvokeOutcome.functionError(status, bytes, InvokeOutcome.UNHANDLED, TIMED_OUT_TYPE, version,
                    new String(bytes, StandardCharsets.UTF_8));
        }
        String type = errorObjectType(bytes, true);
        if (type != null) {
            return InvokeOutcome.functionError(status, bytes, InvokeOutcome.UNHANDLED, type, version,
                    "function error " + type + " (HTTP " + status + ", no error header)");
        }
        return InvokeOutcome.success(status, bytes, version);
    }

    static InvokeOutcome timedOut(Duration invocationTimeout) {
        String message = FunctionInvoker.timedOutMessage(invocationTimeout);
        return InvokeOutcome.functionError(0, InvokeOutcome.noBody(), InvokeOutcome.UNHANDLED, TIMED_OUT_TYPE,
                InvokeOutcome.LATEST, message);
    }

    /**
     * The {@code errorType} of a runtime's error object in {@code body}, else null. With {@code strict}, only an
     * object of the error shape counts (see the class comment); without, any object's string errorType does.
     */
    static String errorObjectType(byte[] body, boolean strict) {
        if (!startsWithObject(body)) {
            return null;
        }
        try (JsonParser p = JSON.createParser(body)) {
            p.nextToken();
            String errorType = null;
            boolean hasMessage = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("errorType") && value == JsonToken.VALUE_STRING) {
                    errorType = p.getText();
                } else if (name.equals("errorMessage")
                        && (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NULL)) {
                    hasMessage = true;
                } else if (strict && !ERROR_OBJECT_EXTRA_KEYS.contains(name)) {
                    return null;
                }
                p.skipChildren();
            }
            if (p.nextToken() != null) {
                return null;
            }
            return !strict || hasMessage ? errorType : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static long retryAfterMs(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse(null);
        if (value == null) {
            return -1;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds < 0 ? -1 : Math.min(seconds, 3600) * 1000;
        } catch (NumberFormatException e) {
            // An HTTP date: not worth parsing for a pause the loop bounds anyway.
            return -1;
        }
    }

    private static boolean startsWithObject(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '{';
            }
        }
        return false;
    }

    private static boolean startsWith(byte[] body, byte[] prefix) {
        if (body.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (body[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
