package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRegistry;

/**
 * DescribeLimits: the account's shard limit and use, the on-demand stream count, and the channel count and limit.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeLimits.html
 *
 * <p>Thread-safe.
 */
final class DescribeLimitsHandler implements OperationHandler {
    private final ApiServices services;

    DescribeLimitsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        out.number("ShardLimit", services.shardLimit())
                .number("OpenShardCount", services.streams().openShardCount())
                .number("OnDemandStreamCount", services.streams().onDemandStreamCount())
                .number("OnDemandStreamCountLimit", StreamRegistry.ON_DEMAND_STREAM_LIMIT)
                .number("ChannelCount", services.channels().list().size())
                .number("ChannelCountLimit", services.channels().accountLimit());
    }
}
