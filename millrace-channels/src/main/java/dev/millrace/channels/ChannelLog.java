package dev.millrace.channels;

import dev.millrace.protocol.Account;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's log of what happens to channels: one INFO line per state change (created, active, updating,
 * failed with its reason, deleting, deleted), naming the channel, its ARN, stream, account and region, with the same
 * as key-value pairs ({@code event}, {@code channel}, {@code arn}, {@code stream}, {@code account}, {@code region})
 * that {@code --log-format json} writes as fields, as the server's stream and consumer lines do. Logged where the
 * change is committed, so on a cluster only the metadata writer logs it, once.
 *
 * <p>Stateless; thread-safe.
 */
final class ChannelLog {
    private static final Logger log = LoggerFactory.getLogger(ChannelLog.class);

    private ChannelLog() {
    }

    /** {@code event}: created, active, updating, failed, deleting, deleted. */
    static void changed(Account account, String arn, Channel c, String event) {
        String what = switch (event) {
            case "created" -> "created (" + c.destination().type() + ", status " + c.status() + ")";
            case "active" -> "is active";
            case "updating" -> "is updating";
            case "failed" -> "failed: " + c.statusReason();
            default -> event;
        };
        var line = log.atInfo().addKeyValue("event", "channel-" + event).addKeyValue("channel", c.name())
                .addKeyValue("arn", arn).addKeyValue("stream", c.stream().name()).addKeyValue("account", account.id())
                .addKeyValue("region", account.region());
        if (c.statusReason() != null) {
            line = line.addKeyValue("reason", c.statusReason());
        }
        line.log("Channel {} of stream {} {} ({}, account {}, region {})", c.name(), c.stream().name(), what, arn,
                account.id(), account.region());
    }
}
