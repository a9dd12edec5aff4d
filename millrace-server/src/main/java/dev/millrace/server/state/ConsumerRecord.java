package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import java.util.Map;

/**
 * A registered enhanced fan-out consumer of one stream incarnation.
 *
 * <p>Immutable, thread-safe.
 *
 * @param streamName    the stream
 * @param streamEpochMs the stream incarnation it was registered on; a re-created stream has none of the old ones
 * @param name          the consumer name
 * @param createdMs     registration time; its epoch seconds end the consumer ARN
 * @param status        CREATING, ACTIVE or DELETING
 * @param statusUntilMs when a transitional status ends
 * @param tags          tags
 */
public record ConsumerRecord(String streamName, long streamEpochMs, String name, long createdMs, String status,
                             long statusUntilMs, Map<String, String> tags) {
    public ConsumerRecord {
        tags = Map.copyOf(tags);
    }

    public String arn(Account account) {
        return account.streamArn(streamName) + "/consumer/" + name + ":" + createdMs / 1000;
    }

    public ConsumerRecord withStatus(String newStatus, long untilMs) {
        return new ConsumerRecord(streamName, streamEpochMs, name, createdMs, newStatus, untilMs, tags);
    }
}
