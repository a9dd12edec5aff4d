package dev.millrace.cli;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

import java.util.Locale;
import java.util.Set;

/**
 * The exit codes of {@code millrace streams | describe | tail | put}, which scripts may rely on, and the mapping of a
 * failure to one of them. {@link ClientCommand} holds the text {@code --help} shows; README.md repeats it.
 *
 * <p>Stateless, thread-safe.
 */
public final class ExitCode {
    public static final int OK = 0;
    /** Any other failure: an AWS error not listed below, an endpoint that cannot be reached, a broken answer. */
    public static final int FAILED = 1;
    /** Bad options or arguments (picocli's own code for usage errors), or no region to send requests to. */
    public static final int USAGE = 2;
    /** The stream (or, for tail with a consumer, the consumer) does not exist. */
    public static final int NOT_FOUND = 3;
    /** No credentials found, or the endpoint refused them or the action (AccessDenied, bad signature...). */
    public static final int ACCESS_DENIED = 4;
    /** put only: some records could not be put, even after retries. */
    public static final int RECORDS_NOT_PUT = 5;
    /** Ended by SIGINT (Ctrl-C): 128 + 2, what shells report for a program ended by Ctrl-C. */
    public static final int INTERRUPTED = 130;
    /**
     * Ended by SIGTERM: 128 + 15, what shells and supervisors (systemd, Kubernetes, {@code timeout}) expect of a
     * program stopped that way, so that they can tell "told to stop" from "interrupted by a user".
     */
    public static final int TERMINATED = 143;

    /** AWS error codes that mean "who you are or what you may do", on Kinesis and on STS-style endpoints alike. */
    private static final Set<String> ACCESS_ERRORS = Set.of("AccessDeniedException", "AccessDenied",
            "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature",
            "IncompleteSignatureException", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
            "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch",
            "NotAuthorized", "RequestExpired");

    private ExitCode() {
    }

    /**
     * The exit code for a stop by the signal {@code signalName} as {@code sun.misc.Signal.getName()} gives it
     * ({@code "TERM"}, {@code "INT"}): {@link #TERMINATED} for TERM, {@link #INTERRUPTED} for anything else (a stop
     * a test or the code asked for without a signal counts as Ctrl-C).
     */
    public static int ofSignal(Object signalName) {
        return "TERM".equals(signalName) ? TERMINATED : INTERRUPTED;
    }

    /** The exit code for a failure of an AWS SDK call (or anything else). */
    public static int of(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof ResourceNotFoundException) {
            return NOT_FOUND;
        }
        if (t instanceof AwsServiceException aws) {
            String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
            if ((code != null && ACCESS_ERRORS.contains(code)) || aws.statusCode() == 403) {
                return ACCESS_DENIED;
            }
            return FAILED;
        }
        if (t instanceof SdkClientException && t.getMessage() != null) {
            String message = t.getMessage().toLowerCase(Locale.ROOT);
            if (message.contains("unable to load credentials")
                    || message.contains("credentials") && message.contains("profile")) {
                return ACCESS_DENIED;
            }
            if (message.contains("unable to load region")) {
                return USAGE;
            }
        }
        return FAILED;
    }

    /** One line for stderr: what went wrong, without a stack trace. */
    public static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            String code = aws.awsErrorDetails().errorCode();
            String message = aws.awsErrorDetails().errorMessage();
            return (code == null ? "HTTP " + aws.statusCode() : code) + (message == null ? "" : ": " + message);
        }
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }

    /** The cause that says what happened: futures and the SDK wrap failures in CompletionException and the like. */
    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SdkClientException && t.getCause() instanceof AwsServiceException) {
            return t.getCause();
        }
        return t;
    }
}
