package dev.millrace.server.api;

import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;

/**
 * The small services handlers share: streams and their shards, and shard iterators.
 *
 * <p>Immutable holder; the services are thread-safe.
 *
 * @param streams    the streams of this node
 * @param iterators  shard iterator codec
 * @param shardLimit the account's open-shard limit
 */
public record ApiServices(StreamRegistry streams, ShardIterators iterators, int shardLimit) {
}
