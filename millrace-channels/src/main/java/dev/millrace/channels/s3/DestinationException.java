package dev.millrace.channels.s3;

/** An object could not be written, or a destination not reached. Delivery retries later. */
public final class DestinationException extends RuntimeException {

    public DestinationException(String message, Throwable cause) {
        super(message, cause);
    }

    public DestinationException(String message) {
        super(message);
    }
}
