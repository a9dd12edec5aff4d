package dev.millrace.channels;

import java.util.Optional;

/**
 * Whether a new channel's destination can be reached (the bucket exists, the catalog answers...). The registry asks
 * once per CREATING channel, on its own threads, never on a request's; a problem makes the channel FAILED with the
 * problem as its ChannelStatusReason, as AWS fails a channel whose bucket or role does not work.
 *
 * <p>Implementations are thread-safe; a call may block (network).
 */
@FunctionalInterface
public interface DestinationCheck {
    /** Why the channel cannot deliver, or empty if it can. */
    Optional<String> problem(Channel channel);

    /**
     * Until the real checks are wired: a general purpose bucket is taken to be reachable; an S3 Tables channel
     * fails, since Millrace does not write Iceberg tables yet.
     */
    DestinationCheck BUILT_IN = channel -> channel.destination().type() == DestinationType.S3_TABLES
            ? Optional.of("Delivery to S3 Tables (Apache Iceberg) is not available in this Millrace version yet; "
                    + "delete the channel and use an S3 destination, or upgrade.")
            : Optional.empty();
}
