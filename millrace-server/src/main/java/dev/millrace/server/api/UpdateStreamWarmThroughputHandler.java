package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateStreamWarmThroughput: the write throughput an on-demand stream should be ready for: the stream is pre-split
 * to one shard per MiB/s (each shard takes 1 MiB/s of writes) if it has fewer.
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
        services.streams().update(name, false, s -> {
            if (!"ON_DEMAND".equals(s.mode())) {
                throw KinesisException.invalidArgument("Warm throughput can only be set on a stream in ON_DEMAND "
                        + "mode; stream " + name + " is PROVISIONED.");
            }
            return s.withWarmThroughputMiBps(mibps);
        });
        services.autoScaler().prewarm(name, mibps, services.scaling().maxShardsPerStream());
        int shards = services.streams().get(name).openShards().size();
        out.string("StreamARN", services.streams().arn(name)).string("StreamName", name)
                .startObject("WarmThroughput")
                .number("TargetMiBps", mibps)
                .number("CurrentMiBps", shards)
                .endObject();
    }
}
