package dev.millrace.server.api;

import dev.millrace.channels.ChannelRegistry;
import dev.millrace.metrics.AccountMetrics;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.server.state.AccountSettings;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.ConsumerRegistry;
import dev.millrace.server.state.ResourcePolicies;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.Throttles;

import dev.millrace.server.records.ShardPlacement;
import dev.millrace.server.records.StreamKeys;

import java.util.concurrent.Executor;

/**
 * The small services handlers share: streams and their shards, shard iterators, resource policies, account
 * settings, consumers and channels.
 *
 * <p>Immutable holder; the services are thread-safe.
 *
 * @param streams         the streams of this node
 * @param iterators       shard iterator codec
 * @param policies        resource policies
 * @param accountSettings account-level settings
 * @param shardLimit      the account's open-shard limit
 * @param scaling         UpdateShardCount's limits
 * @param throttles       per-shard throughput limits and control-plane rates
 * @param autoScaler      on-demand scaling, which meters writes
 * @param consumers       enhanced fan-out consumers
 * @param fanOut          live SubscribeToShard sessions
 * @param appends         runs the per-shard appends of one PutRecords call side by side, so that a call touching N
 *                        shards waits for about one fsync, not N in a row; its threads mostly wait on the disk
 * @param placement       which node of a cluster appends each shard's records ({@link ShardPlacement#LOCAL} alone)
 * @param keys            the KMS keys encrypted streams are written with ({@link StreamKeys#NONE}: none)
 * @param metrics         the account's region's AWS/Kinesis metrics, recorded as operations happen
 * @param channels        the account's region's channels
 */
public record ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                          AccountSettings accountSettings, int shardLimit, ScalingLimits scaling,
                          Throttles throttles, AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut,
                          Executor appends, ShardPlacement placement, StreamKeys keys, AccountMetrics metrics,
                          ChannelRegistry channels) {

    /**
     * Channels kept next to the streams, their destination checks run on the calling thread, with AWS's account
     * limit (tests, benchmarks).
     */
    public ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                       AccountSettings accountSettings, int shardLimit, ScalingLimits scaling, Throttles throttles,
                       AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut, Executor appends,
                       ShardPlacement placement, StreamKeys keys, AccountMetrics metrics) {
        this(streams, iterators, policies, accountSettings, shardLimit, scaling, throttles, autoScaler, consumers,
                fanOut, appends, placement, keys, metrics, ChannelStreams.registry(streams, Runnable::run));
    }

    /** Metrics recorded but published nowhere (tests, benchmarks of the call itself). */
    public ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                       AccountSettings accountSettings, int shardLimit, ScalingLimits scaling, Throttles throttles,
                       AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut, Executor appends,
                       ShardPlacement placement, StreamKeys keys) {
        this(streams, iterators, policies, accountSettings, shardLimit, scaling, throttles, autoScaler, consumers,
                fanOut, appends, placement, keys, new KinesisMetrics(streams.clock(), MinuteSink.NONE)
                        .account(streams.account().id(), streams.account().region()));
    }

    /** Without KMS keys. */
    public ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                       AccountSettings accountSettings, int shardLimit, ScalingLimits scaling, Throttles throttles,
                       AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut, Executor appends,
                       ShardPlacement placement) {
        this(streams, iterators, policies, accountSettings, shardLimit, scaling, throttles, autoScaler, consumers,
                fanOut, appends, placement, StreamKeys.NONE);
    }

    /** A node alone: every shard is this node's. */
    public ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                       AccountSettings accountSettings, int shardLimit, ScalingLimits scaling, Throttles throttles,
                       AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut, Executor appends) {
        this(streams, iterators, policies, accountSettings, shardLimit, scaling, throttles, autoScaler, consumers,
                fanOut, appends, ShardPlacement.LOCAL);
    }

    /** Appends run one after the other on the calling thread (tests, benchmarks of the call itself). */
    public ApiServices(StreamRegistry streams, ShardIterators iterators, ResourcePolicies policies,
                       AccountSettings accountSettings, int shardLimit, ScalingLimits scaling, Throttles throttles,
                       AutoScaler autoScaler, ConsumerRegistry consumers, FanOut fanOut) {
        this(streams, iterators, policies, accountSettings, shardLimit, scaling, throttles, autoScaler, consumers,
                fanOut, Runnable::run);
    }
}
