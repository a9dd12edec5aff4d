package dev.millrace.server.channels;

import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.lambda.StreamLookup;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The server's streams as channel delivery reads them: every shard of a stream named by its ARN, with its log and
 * sequence numbers. Delivery runs on the metadata writer only (it alone commits checkpoints), which reads every shard,
 * so each shard is delivered by exactly one node. Lambda's event source mappings ask the same registries whether the
 * stream or consumer an EventSourceArn names exists ({@link StreamLookup}).
 *
 * <p>Thread-safe: every call reads the registries' current state.
 */
public final class StreamShards implements ShardSource, StreamLookup {
    private static final String CONSUMER = "/consumer/";
    private final Function<Account, ApiServices> regions;

    /** {@code regions}: an account's region's services (opened if need be). */
    public StreamShards(Function<Account, ApiServices> regions) {
        this.regions = regions;
    }

    @Override
    public List<Shard> shards(String streamArn, long streamCreatedMs) {
        Optional<Located> located = locate(streamArn);
        // Another incarnation (deleted and created again under the name) is another stream: nothing of the channel's.
        if (located.isEmpty() || located.get().stream().epochMs() != streamCreatedMs) {
            return List.of();
        }
        StreamRegistry streams = located.get().streams();
        StreamRecord stream = located.get().stream();
        List<Shard> shards = new ArrayList<>();
        for (ShardRecord shard : stream.shards()) {
            shards.add(new Shard(shard.shardId(), idOf(shard.parentIndex()), idOf(shard.adjacentParentIndex()),
                    shard.ended(), streams.log(stream, shard),
                    (position, arrivalMs) -> SequenceNumbers.of(shard, position, arrivalMs)));
        }
        return shards;
    }

    @Override
    public OptionalLong streamCreatedMs(String streamArn) {
        Optional<Located> located = locate(streamArn);
        return located.isEmpty() ? OptionalLong.empty() : OptionalLong.of(located.get().stream().epochMs());
    }

    @Override
    public Optional<String> consumerStream(String consumerArn) {
        int at = consumerArn.indexOf(CONSUMER);
        if (at < 0) {
            return Optional.empty();
        }
        String streamArn = consumerArn.substring(0, at);
        Optional<Account> scope = scopeOf(streamArn);
        if (scope.isEmpty() || locate(streamArn).isEmpty()) {
            return Optional.empty();
        }
        try {
            // By ARN, whose creation time tells a consumer from an earlier one of its name.
            regions.apply(scope.get()).consumers().find(consumerArn, null, null);
            return Optional.of(streamArn);
        } catch (KinesisException notFound) {
            return Optional.empty();
        }
    }

    private record Located(StreamRegistry streams, StreamRecord stream) {
    }

    /** The stream an ARN names, if it exists (in any state but gone). */
    private Optional<Located> locate(String streamArn) {
        Optional<Account> scope = scopeOf(streamArn);
        if (scope.isEmpty()) {
            return Optional.empty();
        }
        StreamRegistry streams;
        try {
            streams = regions.apply(scope.get()).streams();
        } catch (KinesisException tooManyRegions) {
            return Optional.empty(); // an account's region past Regions.MAX_REGIONS holds no stream
        }
        String name = streamArn.substring(streamArn.indexOf(":stream/") + ":stream/".length());
        return streams.find(name).map(s -> new Located(streams, s));
    }

    /** The account's region of {@code arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME}, if it is one. */
    private static Optional<Account> scopeOf(String streamArn) {
        String[] parts = streamArn.split(":", 6);
        if (parts.length != 6 || !parts[5].startsWith("stream/") || parts[5].length() == "stream/".length()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Account(parts[3], parts[4]));
        } catch (IllegalArgumentException notAnAccount) {
            return Optional.empty();
        }
    }

    private static String idOf(int index) {
        return index < 0 ? null : ShardRecord.shardId(index);
    }
}
