package dev.millrace.server.state;

import dev.millrace.storage.MetadataStore;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * The account-level minimum throughput billing commitment (Describe/UpdateAccountSettings). Millrace bills nothing;
 * it keeps the setting and its dates so that tools reading it see what AWS would report: enabling starts a
 * commitment whose earliest end is a year later, and disabling before then leaves it
 * {@code ENABLED_UNTIL_EARLIEST_ALLOWED_END}.
 *
 * <p>Thread-safe: methods are synchronized.
 */
public final class AccountSettings {
    private static final String KEY = "account/minimumThroughputBillingCommitment";
    static final Duration MINIMUM_TERM = Duration.ofDays(365);

    /** The commitment as reported; times are epoch ms, 0 when absent. */
    public record Commitment(String status, long startedAtMs, long endedAtMs, long earliestAllowedEndAtMs) {
    }

    private final MetadataStore metadata;
    private final Clock clock;

    public AccountSettings(MetadataStore metadata, Clock clock) {
        this.metadata = metadata;
        this.clock = clock;
    }

    public synchronized Commitment commitment() {
        Commitment c = metadata.get(KEY).map(AccountSettings::decode)
                .orElse(new Commitment("DISABLED", 0, 0, 0));
        if (c.status().equals("ENABLED_UNTIL_EARLIEST_ALLOWED_END") && clock.millis() >= c.endedAtMs()) {
            return new Commitment("DISABLED", c.startedAtMs(), c.endedAtMs(), c.earliestAllowedEndAtMs());
        }
        return c;
    }

    public synchronized Commitment update(boolean enable) {
        Commitment current = commitment();
        long now = clock.millis();
        Commitment next;
        if (enable) {
            next = current.status().equals("DISABLED")
                    ? new Commitment("ENABLED", now, 0, now + MINIMUM_TERM.toMillis())
                    : new Commitment("ENABLED", current.startedAtMs(), 0, current.earliestAllowedEndAtMs());
        } else if (current.status().equals("DISABLED")) {
            next = current;
        } else if (now < current.earliestAllowedEndAtMs()) {
            next = new Commitment("ENABLED_UNTIL_EARLIEST_ALLOWED_END", current.startedAtMs(),
                    current.earliestAllowedEndAtMs(), current.earliestAllowedEndAtMs());
        } else {
            next = new Commitment("DISABLED", current.startedAtMs(), now, current.earliestAllowedEndAtMs());
        }
        metadata.commit(Map.of(KEY, encode(next)));
        return next;
    }

    private static byte[] encode(Commitment c) {
        byte[] status = c.status().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(24 + status.length).putLong(c.startedAtMs()).putLong(c.endedAtMs())
                .putLong(c.earliestAllowedEndAtMs()).put(status).array();
    }

    private static Commitment decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long started = b.getLong();
        long ended = b.getLong();
        long earliest = b.getLong();
        return new Commitment(new String(bytes, 24, bytes.length - 24, java.nio.charset.StandardCharsets.US_ASCII),
                started, ended, earliest);
    }
}
