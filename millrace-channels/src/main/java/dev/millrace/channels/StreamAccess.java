package dev.millrace.channels;

import java.util.Optional;

/**
 * How the channel registry sees the streams of its account's region; the server implements it over its stream
 * registry. Calls are cheap lookups.
 *
 * <p>Implementations are thread-safe.
 */
public interface StreamAccess {
    /**
     * The current incarnation of the stream named {@code name}, or empty if there is none.
     */
    Optional<StreamInfo> stream(String name);

    /**
     * What CreateChannel checks about its stream.
     *
     * @param status        the stream's status (CREATING, ACTIVE, UPDATING, DELETING)
     * @param onDemand      whether its capacity mode is ON_DEMAND
     * @param encryptionKey the KMS key id its records are encrypted with, or {@code null} if not encrypted
     */
    record StreamInfo(String name, String arn, long createdMs, String status, boolean onDemand,
                      String encryptionKey) {
    }
}
