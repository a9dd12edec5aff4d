package dev.millrace.server.cluster;

import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.protocol.Account;
import dev.millrace.server.records.BinaryCodec;
import dev.millrace.storage.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static dev.millrace.server.records.BinaryCodec.str;
import static dev.millrace.server.records.BinaryCodec.write;

/**
 * Every node's AWS/Kinesis minutes in the one CloudWatch the cluster reads. CloudWatch's calls are answered by the
 * metadata writer, while each node records what it answered and what it stores; so a node that is not the writer
 * keeps its ended minutes in a bounded outbox, and the writer collects every live node's outbox each publishing tick
 * and stores them as its own minutes are stored (CloudWatch adds minutes of one metric together). Telemetry, not
 * data: a collection whose answer is lost, a node that dies with minutes in its outbox, and minutes past the bound
 * (the oldest go first, counted in {@link #droppedAggregates}) are lost, never retried twice into double counts.
 *
 * <pre>
 *  report = | format 1 | batches: i32 | batch * batches |
 *  batch  = | accountId: str16 | region: str16 | count: i32 | aggregate * count |
 *  aggregate = | namespace: str16 | metricName: str16 | unit: str16 | dimensions: u16 | (name: str16, value: str16)
 *              * dimensions | minuteStartMs: i64 | sampleCount: i64 | sum: f64 | minimum: f64 | maximum: f64 |
 *  str16 = u16 big-endian length, then UTF-8; numbers big-endian (f64: IEEE 754 bits); nothing may follow
 * </pre>
 *
 * <p>Thread-safe: the outbox is guarded by this object's lock.
 */
public final class ClusterMetrics {
    private static final Logger log = LoggerFactory.getLogger(ClusterMetrics.class);
    private static final byte FORMAT = 1;
    private static final byte[] NO_REQUEST = new byte[0];
    /** About 200 B each: at most ~40 MB held for a writer that does not collect. */
    static final int MAX_PENDING_AGGREGATES = 200_000;
    private static final int MAX_COUNT = 1_000_000;

    record Batch(String accountId, String region, List<MinuteAggregate> aggregates) {
    }

    private final ArrayDeque<Batch> outbox = new ArrayDeque<>();
    private int pending;
    private long dropped;

    /**
     * Where this node's ended minutes go: to {@code local} (this node's CloudWatch) while it is the writer, else into
     * the outbox for the writer to collect.
     */
    public MinuteSink sink(BooleanSupplier isWriter, MinuteSink local) {
        return (accountId, region, aggregates) -> {
            if (isWriter.getAsBoolean()) {
                local.publish(accountId, region, aggregates);
            } else {
                hold(new Batch(accountId, region, List.copyOf(aggregates)));
            }
        };
    }

    private synchronized void hold(Batch batch) {
        outbox.addLast(batch);
        pending += batch.aggregates().size();
        while (pending > MAX_PENDING_AGGREGATES && outbox.size() > 1) {
            Batch oldest = outbox.removeFirst();
            pending -= oldest.aggregates().size();
            dropped += oldest.aggregates().size();
        }
    }

    /** Minutes dropped from a full outbox since start. */
    public synchronized long droppedAggregates() {
        return dropped;
    }

    /** What this node holds for the writer, encoded, and forgotten here (a node's answer to {@link #collect}). */
    public byte[] reportHere() {
        List<Batch> batches;
        synchronized (this) {
            batches = new ArrayList<>(outbox);
            outbox.clear();
            pending = 0;
        }
        return encode(batches);
    }

    /**
     * The writer's tick: its own outbox (minutes it held while it was not the writer) and every other live node's
     * into {@code local}. A node that does not answer keeps its minutes for the next tick; a batch {@code local}
     * refuses (a node of another version) is dropped and counted, and the others still go in.
     */
    public void collect(Cluster cluster, ClusterCalls calls, Account scope, MinuteSink local)
            throws InterruptedException {
        store(decode(reportHere()), local);
        for (Cluster.Node node : cluster.liveNodes()) {
            if (node.id().equals(cluster.self().id())) {
                continue;
            }
            List<Batch> batches;
            try {
                batches = decode(calls.binary(node, ClusterCalls.Service.METRICS, scope, NO_REQUEST));
            } catch (NodeUnavailableException | IllegalArgumentException e) {
                log.info("Metrics of node {} are collected later: {}", node.id(), e.getMessage());
                continue;
            }
            store(batches, local);
        }
    }

    private void store(List<Batch> batches, MinuteSink local) {
        for (Batch b : batches) {
            try {
                local.publish(b.accountId(), b.region(), b.aggregates());
            } catch (RuntimeException e) {
                synchronized (this) {
                    dropped += b.aggregates().size();
                }
                log.warn("{} metric minutes of account {} in {} were not stored: {}", b.aggregates().size(),
                        b.accountId(), b.region(), e.toString());
            }
        }
    }

    static byte[] encode(List<Batch> batches) {
        return write(out -> {
            out.writeByte(FORMAT);
            out.writeInt(batches.size());
            for (Batch b : batches) {
                str(out, b.accountId());
                str(out, b.region());
                out.writeInt(b.aggregates().size());
                for (MinuteAggregate a : b.aggregates()) {
                    str(out, a.namespace());
                    str(out, a.metricName());
                    str(out, a.unit() == null ? "" : a.unit());
                    out.writeShort(a.dimensions().size());
                    for (Map.Entry<String, String> d : a.dimensions().entrySet()) {
                        str(out, d.getKey());
                        str(out, d.getValue());
                    }
                    out.writeLong(a.minuteStartMs());
                    out.writeLong(a.sampleCount());
                    out.writeDouble(a.sum());
                    out.writeDouble(a.minimum());
                    out.writeDouble(a.maximum());
                }
            }
        });
    }

    /** @throws IllegalArgumentException if {@code bytes} is not a report */
    static List<Batch> decode(byte[] bytes) {
        return BinaryCodec.read(bytes, in -> {
            BinaryCodec.format(in, FORMAT);
            int batches = count(in);
            List<Batch> out = new ArrayList<>();
            for (int i = 0; i < batches; i++) {
                String accountId = str(in);
                String region = str(in);
                int count = count(in);
                List<MinuteAggregate> aggregates = new ArrayList<>();
                for (int j = 0; j < count; j++) {
                    aggregates.add(aggregate(in));
                }
                out.add(new Batch(accountId, region, aggregates));
            }
            return out;
        });
    }

    private static MinuteAggregate aggregate(ByteBuffer in) {
        String namespace = str(in);
        String name = str(in);
        String unit = str(in);
        int dimensionCount = Short.toUnsignedInt(in.getShort());
        Map<String, String> dimensions = new LinkedHashMap<>();
        for (int k = 0; k < dimensionCount; k++) {
            dimensions.put(str(in), str(in));
        }
        return new MinuteAggregate(namespace, name, dimensions, unit.isEmpty() ? null : unit, in.getLong(),
                in.getLong(), in.getDouble(), in.getDouble(), in.getDouble());
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > MAX_COUNT) {
            throw new IllegalArgumentException("bad count " + count);
        }
        return count;
    }
}
