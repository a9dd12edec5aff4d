package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.Resharding;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * UpdateShardCount (UNIFORM_SCALING): reshards a provisioned stream to {@code TargetShardCount} shards of equal
 * width, through splits and merges with exact lineage. AWS's limits apply (configurable): the target within 0.5x-2x
 * of the open shard count, at most 10 updates per rolling 24 hours, at most 10,000 shards.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html
 *
 * <p>Thread-safe.
 */
final class UpdateShardCountHandler implements OperationHandler {
    static final long DAY_MS = 24L * 60 * 60 * 1000;

    private final ApiServices services;

    UpdateShardCountHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int target = request.integer("TargetShardCount");
        int[] current = new int[1];
        services.streams().reshard(name, "UpdateShardCount", s -> {
            current[0] = s.openShards().size();
            long now = services.streams().clock().millis();
            List<Long> recent = checkLimits(s, current[0], target, now);
            ShardLimits.checkAccount(services, Math.max(0, target - current[0]));
            recent.add(now);
            return s.withShards(Resharding.uniform(s.shards(), target, now, services.streams().context(name))
                    .shards()).withShardCountUpdatesMs(recent);
        });
        out.string("StreamName", name)
                .number("CurrentShardCount", current[0])
                .number("TargetShardCount", target)
                .string("StreamARN", services.streams().arn(name));
    }

    private List<Long> checkLimits(StreamRecord s, int open, int target, long now) {
        ScalingLimits limits = services.scaling();
        if (target > limits.maxShardsPerStream()) {
            throw KinesisException.limitExceeded("UpdateShardCount to " + target + " shards would exceed the limit "
                    + "of " + limits.maxShardsPerStream() + " shards per stream.");
        }
        if (target < Math.ceil(open * limits.minFactor()) || target > Math.floor(open * limits.maxFactor())) {
            throw KinesisException.invalidArgument("TargetShardCount " + target + " must be between "
                    + (long) Math.ceil(open * limits.minFactor()) + " and " + (long) Math.floor(open * limits.maxFactor())
                    + " (" + limits.minFactor() + "x to " + limits.maxFactor() + "x the current count of " + open
                    + " open shards).");
        }
        List<Long> recent = new ArrayList<>();
        for (long t : s.shardCountUpdatesMs()) {
            if (now - t < DAY_MS) {
                recent.add(t);
            }
        }
        if (recent.size() >= limits.updatesPerDay()) {
            throw KinesisException.limitExceeded("Stream " + s.name() + " has been updated with UpdateShardCount "
                    + recent.size() + " times in the last 24 hours; the limit is " + limits.updatesPerDay() + ".");
        }
        return recent;
    }
}
