package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Account;

/**
 * What the channel operations (added to the API in 2026: delivery of a stream's records to Amazon S3 or S3 Tables)
 * share while Millrace does not deliver channels yet. Rather than answering an unknown operation, the account simply
 * has a channel limit of 0: ListChannels lists none, a channel ARN names nothing, and CreateChannel exceeds the
 * limit with a message that says why. DescribeLimits reports the same limit.
 *
 * <p>Stateless, thread-safe.
 */
final class ChannelOperations {
    /** Channels this account may have: none until channel delivery is implemented. */
    static final int CHANNEL_LIMIT = 0;

    private ChannelOperations() {
    }

    static KinesisException notFound(String channelArn) {
        return KinesisException.resourceNotFound("Channel " + channelArn + " not found. Millrace does not deliver "
                + "channels yet, so no channel exists.");
    }

    static KinesisException limitExceeded(Account account) {
        return KinesisException.limitExceeded("This request would exceed the channel limit for the account "
                + account.id() + " in " + account.region() + ". Current channel count for the account: 0. Limit: "
                + CHANNEL_LIMIT + ". Millrace does not deliver channels (to Amazon S3 or S3 Tables) yet.");
    }
}
