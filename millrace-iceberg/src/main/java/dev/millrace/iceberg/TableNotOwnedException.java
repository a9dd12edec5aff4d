package dev.millrace.iceberg;

import java.io.IOException;

/**
 * The channel's table exists but was not created by this channel (no or another {@code millrace.channel-id}). AWS:
 * "you cannot deliver to an existing table". Permanent: the engine fails the channel with this message as its
 * ChannelStatusReason.
 */
public final class TableNotOwnedException extends IOException {

    public TableNotOwnedException(String message) {
        super(message);
    }
}
