package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateStreamWarmThroughput: the write throughput an on-demand stream should be ready for: the stream is pre-split
 * to one shard per MiB/s (each shard takes 1 MiB/s of writes) if it has fewer. AWS's limits apply: at most 10 GiBps
 * (configurable), at most the per-stream shard maximum, and the account's shard limit.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamWarmThroughput.html
 *
 * <p>Thread-safe.
 */
final class UpdateStreamWarmThroughputHandler implements OperationHandler {
    private final ApiServices services;

    UpdateStreamWarmThroughputHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int mibps = request.integer("WarmThroughputMiBps");
        checkMaximum(services, mibps);
        int maxShards = services.scaling().maxShardsPerStream();
        services.streams().update(name, false, s -> {
            if (!"ON_DEMAND".equals(s.mode())) {
                throw KinesisException.invalidArgument("Warm throughput can only be set on a stream in ON_DEMAND "
                        + "mode; stream " + name + " is PROVISIONED.");
            }
            ShardLimits.checkAccount(services, services.autoScaler().warmShards(mibps, maxShards)
                    - s.openShards().size());
            return s.withWarmThroughputMiBps(mibps);
        });
        services.autoScaler().prewarm(name, mibps, maxShards);
        int shards = services.streams().get(name).openShards().size();
        out.string("StreamARN", services.streams().arn(name)).string("StreamName", name)
                .startObject("WarmThroughput")
                .number("TargetMiBps", mibps)
                .number("CurrentMiBps", shards)
                .endObject();
    }

    /**
     * AWS's limit on an on-demand stream's warm throughput (10 GiBps by default), a quota that can be raised, hence
     * {@code LimitExceededException}.
     */
    static void checkMaximum(ApiServices services, int mibps) {
        int max = services.scaling().maxWarmThroughputMiBps();
        if (mibps > max) {
            throw KinesisException.limitExceeded("WarmThroughputMiBps " + mibps + " exceeds the limit of " + max
                    + " MiBps for an on-demand stream under account " + services.streams().account().id() + " in "
                    + services.streams().account().region() + ".");
        }
    }
}
