package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import static dev.millrace.server.records.BinaryCodec.str;
import static dev.millrace.server.records.BinaryCodec.write;

import dev.millrace.server.records.BinaryCodec;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.ShardTraffic;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * On-demand scaling from the whole cluster's traffic. Each shard's owner meters every write to it (whichever node
 * received the call: {@link ClusterPlacement} sends the entries to the owner, which meters them), so the writer, which
 * decides, asks every live node once per scaling tick for the traffic of the on-demand streams' shards it metered,
 * and merges the answers (a shard that moved between owners during the window is counted by the larger report).
 * A node that does not answer is left out of that tick and logged; its shards look idle for a tick, which can delay
 * a split by one tick, and cannot merge anything, since a merge needs a shard cold for the whole quiet period.
 *
 * <pre>
 *  request = | format 1 | count: i32 | (stream: str16, streamEpochMs: i64) * count |
 *  report  = | format 1 | count: i32 | (shardKey: str16, bytesPerSecond: f64, recordsPerSecond: f64,
 *                                       hasMedian: u8 (0 or 1), [medianKey: str16 (decimal)]) * count |
 *  str16 = u16 big-endian length, then UTF-8; numbers big-endian (f64: IEEE 754 bits); nothing may follow
 * </pre>
 *
 * <p>Thread-safe; stateless but for its collaborators.
 */
public final class ClusterTraffic implements AutoScaler.Meters {
    private static final Logger log = LoggerFactory.getLogger(ClusterTraffic.class);
    private static final byte FORMAT = 1;
    private static final int MAX_COUNT = 1_000_000;

    private final Cluster cluster;
    private final ClusterCalls calls;
    private final Account scope;
    private final AutoScaler local;

    public ClusterTraffic(Cluster cluster, ClusterCalls calls, Account scope, AutoScaler local) {
        this.cluster = cluster;
        this.calls = calls;
        this.scope = scope;
        this.local = local;
    }

    @Override
    public Map<String, ShardTraffic.Summary> traffic(List<StreamRecord> onDemand, long nowMs) {
        Map<String, ShardTraffic.Summary> merged = new HashMap<>(local.localTraffic(onDemand, nowMs));
        byte[] request = encodeRequest(onDemand);
        for (Cluster.Node node : cluster.liveNodes()) {
            if (node.id().equals(cluster.self().id())) {
                continue;
            }
            try {
                decodeReport(calls.binary(node, ClusterCalls.Service.TRAFFIC, scope, request)).forEach((k, v) ->
                        merged.merge(k, v, (a, b) -> a.bytesPerSecond() + a.recordsPerSecond()
                                >= b.bytesPerSecond() + b.recordsPerSecond() ? a : b));
            } catch (NodeUnavailableException | IllegalArgumentException e) {
                log.info("On-demand scaling leaves out node {}'s traffic this tick: {}", node.id(), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return merged;
            }
        }
        return merged;
    }

    /**
     * A node's answer to another's request: the traffic its own meters hold for the named streams' shards
     * ({@code find} gives this node's view of a stream by name).
     */
    public static byte[] reportHere(AutoScaler local, Function<String, Optional<StreamRecord>> find, byte[] request,
                                    long nowMs) {
        List<StreamRecord> streams = BinaryCodec.read(request, in -> {
            BinaryCodec.format(in, FORMAT);
            int count = count(in);
            List<StreamRecord> named = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = str(in);
                long epochMs = in.getLong();
                find.apply(name).filter(s -> s.epochMs() == epochMs).ifPresent(named::add);
            }
            return named;
        });
        Map<String, ShardTraffic.Summary> traffic = local.localTraffic(streams, nowMs);
        return write(out -> {
            out.writeByte(FORMAT);
            out.writeInt(traffic.size());
            for (Map.Entry<String, ShardTraffic.Summary> e : traffic.entrySet()) {
                str(out, e.getKey());
                out.writeDouble(e.getValue().bytesPerSecond());
                out.writeDouble(e.getValue().recordsPerSecond());
                BigInteger median = e.getValue().medianKey();
                out.writeByte(median == null ? 0 : 1);
                if (median != null) {
                    str(out, median.toString());
                }
            }
        });
    }

    static byte[] encodeRequest(List<StreamRecord> streams) {
        return write(out -> {
            out.writeByte(FORMAT);
            out.writeInt(streams.size());
            for (StreamRecord s : streams) {
                str(out, s.name());
                out.writeLong(s.epochMs());
            }
        });
    }

    static Map<String, ShardTraffic.Summary> decodeReport(byte[] bytes) {
        try {
            return BinaryCodec.read(bytes, in -> {
                BinaryCodec.format(in, FORMAT);
                int count = count(in);
                Map<String, ShardTraffic.Summary> out = new HashMap<>();
                for (int i = 0; i < count; i++) {
                    String key = str(in);
                    double bytesPerSecond = in.getDouble();
                    double recordsPerSecond = in.getDouble();
                    byte flag = in.get();
                    if (flag != 0 && flag != 1) {
                        throw new IllegalArgumentException("bad median flag " + flag);
                    }
                    BigInteger median = flag == 1 ? new BigInteger(str(in)) : null;
                    out.put(key, new ShardTraffic.Summary(bytesPerSecond, recordsPerSecond, median));
                }
                return out;
            });
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("traffic report does not parse: " + e, e);
        }
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > MAX_COUNT) {
            throw new IllegalArgumentException("bad count " + count);
        }
        return count;
    }
}
