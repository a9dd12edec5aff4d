package dev.millrace.server.channels;

import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.protocol.Account;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The server's streams as channel delivery reads them: every shard of a stream named by its ARN, with its log and
 * sequence numbers. Delivery runs on the metadata writer only (it alone commits checkpoints), which reads every shard,
 * so each shard is delivered by exactly one node.
 *
 * <p>Thread-safe: every call reads the registries' current state.
 */
public final class StreamShards implements ShardSource {
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

    private record Located(StreamRegistry streams, StreamRecord stream) {
    }

    /** The stream an ARN names, if it exists (in any state but gone). */
    private Optional<Located> locate(String streamArn) {
        // arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME
        String[] parts = streamArn.split(":", 6);
        if (parts.length != 6 || !parts[5].startsWith("stream/")) {
            return Optional.empty();
        }
        Account scope = new Account(parts[3], parts[4]);
        StreamRegistry streams = regions.apply(scope).streams();
        return streams.find(parts[5].substring("stream/".length())).map(s -> new Located(streams, s));
    }

    private static String idOf(int index) {
        return index < 0 ? null : ShardRecord.shardId(index);
    }
}
