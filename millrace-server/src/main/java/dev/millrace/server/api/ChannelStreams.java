package dev.millrace.server.api;

import dev.millrace.channels.ChannelRegistry;
import dev.millrace.channels.DestinationCheck;
import dev.millrace.channels.StreamAccess;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * The streams of an account's region as its channel registry sees them ({@link StreamAccess}), and the registry
 * made over them.
 *
 * <p>Thread-safe, as the stream registry is.
 */
public final class ChannelStreams implements StreamAccess {
    private final StreamRegistry streams;

    public ChannelStreams(StreamRegistry streams) {
        this.streams = streams;
    }

    /**
     * The channels of {@code streams}' account's region, in the same metadata, with the same transition delay.
     *
     * @param checks where destination checks run
     */
    public static ChannelRegistry registry(StreamRegistry streams, Executor checks, BooleanSupplier writer,
                                           DestinationCheck check) {
        return new ChannelRegistry(streams.metadata(), streams.account(), new ChannelStreams(streams),
                streams.clock(), streams.transitionDelayMs(), writer, checks, check,
                ChannelRegistry.DEFAULT_ACCOUNT_LIMIT);
    }

    /** A registry of a node alone (always the metadata writer) with the built-in destination check. */
    public static ChannelRegistry registry(StreamRegistry streams, Executor checks) {
        return registry(streams, checks, () -> true, DestinationCheck.BUILT_IN);
    }

    @Override
    public Optional<StreamInfo> stream(String name) {
        return streams.find(name).map(this::info);
    }

    private StreamInfo info(StreamRecord s) {
        String key = s.encryptionType() == null || "NONE".equals(s.encryptionType()) ? null : s.keyId();
        return new StreamInfo(s.name(), streams.arn(s.name()), s.epochMs(), s.status().name(),
                "ON_DEMAND".equals(s.mode()), key);
    }
}
