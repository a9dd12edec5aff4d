package dev.millrace.cli;

/**
 * A problem with what the user asked for that picocli's parser cannot see (a bad endpoint, no region, a timestamp
 * that is not ISO-8601): ends the command with {@link ExitCode#USAGE} and the message.
 *
 * <p>Immutable.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
