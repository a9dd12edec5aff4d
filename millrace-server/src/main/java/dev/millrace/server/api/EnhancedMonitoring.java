package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * What Enable- and DisableEnhancedMonitoring share: {@code ALL} stands for every shard-level metric, and both answer
 * with the metrics before and after. The shard-level metrics a stream lists are recorded from then on
 * ({@link dev.millrace.metrics.StreamMeter}, docs/METRICS.md).
 *
 * <p>Stateless, thread-safe.
 */
final class EnhancedMonitoring {
    static final List<String> ALL_METRICS = List.of("IncomingBytes", "IncomingRecords", "OutgoingBytes",
            "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
            "IteratorAgeMilliseconds");

    private EnhancedMonitoring() {
    }

    static void change(ApiServices services, Struct request, WireWriter out,
                       BiConsumer<Set<String>, Set<String>> apply) {
        String name = StreamRefs.name(request, services.streams().account());
        Set<String> requested = new TreeSet<>();
        for (String metric : request.<String>list("ShardLevelMetrics")) {
            if (metric.equals("ALL")) {
                requested.addAll(ALL_METRICS);
            } else {
                requested.add(metric);
            }
        }
        StreamRecord[] before = new StreamRecord[1];
        StreamRecord after = services.streams().update(name, false, s -> {
            before[0] = s;
            Set<String> metrics = new TreeSet<>(s.shardLevelMetrics());
            apply.accept(metrics, requested);
            return s.withShardLevelMetrics(metrics);
        });
        out.string("StreamName", name).string("StreamARN", services.streams().arn(name));
        out.startArray("CurrentShardLevelMetrics");
        before[0].shardLevelMetrics().forEach(out::string);
        out.endArray().startArray("DesiredShardLevelMetrics");
        after.shardLevelMetrics().forEach(out::string);
        out.endArray();
    }
}
