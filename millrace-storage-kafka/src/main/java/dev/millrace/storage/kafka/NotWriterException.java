package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;

import java.util.Optional;

/**
 * A commit refused because this {@link KafkaMetadataStore} is a follower: it never was the writer, it was demoted,
 * or another writer fenced it. Not retryable here (the same store refuses again until it is promoted); the change
 * belongs to the writer this names, if it is known. Already reported: the store logs a demotion once, and a
 * follower refusing is no failure to log.
 *
 * <p>Immutable, thread-safe.
 */
public final class NotWriterException extends StorageException {
    private final transient WriterInfo writer;

    NotWriterException(String message, WriterInfo writer, Throwable cause) {
        super(message, cause, true);
        this.writer = writer;
    }

    /** The writer as this store last saw it on the topic, if any writer record was seen. */
    public Optional<WriterInfo> writer() {
        return Optional.ofNullable(writer);
    }
}
