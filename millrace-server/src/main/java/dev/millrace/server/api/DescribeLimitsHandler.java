package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DescribeLimits: the account's shard limit and use, and the on-demand stream count.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeLimits.html
 *
 * <p>Thread-safe.
 */
final class DescribeLimitsHandler implements OperationHandler {
    static final int ON_DEMAND_STREAM_LIMIT = 50;

    private final ApiServices services;

    DescribeLimitsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        int onDemand = 0;
        for (String name : services.streams().names()) {
            if (services.streams().find(name).map(s -> "ON_DEMAND".equals(s.mode())).orElse(false)) {
                onDemand++;
            }
        }
        out.number("ShardLimit", services.shardLimit())
                .number("OpenShardCount", services.streams().openShardCount())
                .number("OnDemandStreamCount", onDemand)
                .number("OnDemandStreamCountLimit", ON_DEMAND_STREAM_LIMIT)
                .number("ChannelCount", 0)
                .number("ChannelCountLimit", ChannelOperations.CHANNEL_LIMIT);
    }
}
