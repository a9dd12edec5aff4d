package dev.millrace.server.api;

import dev.millrace.metrics.StreamMeter;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.records.RecordPage;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.Throttles;

import java.util.Optional;

/**
 * GetRecords: up to {@code Limit} (default and most 10,000) records and at most 10 MiB from an iterator's position.
 * At the end of a closed shard, {@code NextShardIterator} is null and {@code ChildShards} names its children, the
 * only combination KCL accepts. The records and children are rendered by {@link RecordPage}, as SubscribeToShard
 * renders them.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
 *
 * <p>Thread-safe.
 */
final class GetRecordsHandler implements OperationHandler {
    static final int LIMIT_DEFAULT = 10_000;
    static final long MAX_RESPONSE_BYTES = 10L * 1024 * 1024;

    private final ApiServices services;

    GetRecordsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        // A monotonic reading, not the injected clock: a duration on this machine, never a date.
        long startNanos = System.nanoTime();
        String iterator = request.string("ShardIterator");
        // Decoded once per request (the authorization and the cluster's placement read the same one before).
        ShardIterators.Position at = services.iterators().decode(iterator);
        // The call was routed to the iterator's account and region (KinesisApi); one issued before accounts were kept
        // apart names none and belongs to the account and region the request was signed for.
        Optional<StreamRecord> found = at.scope() != null && !at.scope().equals(services.streams().account())
                ? Optional.empty() : services.streams().find(at.streamName());
        ShardRecord shard = found.isEmpty() || found.get().epochMs() != at.streamEpochMs() ? null
                : found.get().shard(at.shardIndex());
        KinesisException expired = services.iterators().expiry(iterator);
        if (shard == null) {
            if (expired != null) {
                throw expired;
            }
            // AWS's text when the iterator's stream was deleted (even if re-created since) or its shard expired.
            throw KinesisException.resourceNotFound("Shard " + ShardRecord.shardId(at.shardIndex()) + " in stream "
                    + at.streamName() + " under account " + services.streams().account().id() + " does not exist");
        }
        StreamRecord s = found.get();
        StreamMeter meter = services.metrics().stream(s.name());
        String shardId = ApiMetrics.shardIdIfEnhanced(s, shard);
        boolean counted = false;
        try {
            if (expired != null) {
                throw expired;
            }
            int limit = request.integer("Limit") == null ? LIMIT_DEFAULT : request.integer("Limit");
            DryRun.stopIfRequested(request, services, s);
            Throttles.ShardThrottle throttle = services.throttles().shard(s, shard);
            if (!throttle.tryRead()) {
                counted = true;
                meter.readThrottled(shardId, s.shardLevelMetrics(), ApiMetrics.elapsedMicros(startNanos));
                throw Throttles.shardRateExceeded(services.streams(), s, shard);
            }
            read(s, shard, at.position(), limit, throttle, out, meter, shardId, startNanos);
            counted = true;
        } finally {
            // Every call on a found stream is a sample of GetRecords.Success, 0 when it failed, so that its average
            // is AWS's success rate. A dry run is not a call.
            if (!counted && !DryRun.requested(request)) {
                meter.getRecordsFailed(shardId, s.shardLevelMetrics(), ApiMetrics.elapsedMicros(startNanos));
            }
        }
    }

    /** Reads the page at {@code position} into {@code out} and records the call. */
    private void read(StreamRecord s, ShardRecord shard, long position, int limit, Throttles.ShardThrottle throttle,
                      WireWriter out, StreamMeter meter, String shardId, long startNanos) {
        RecordPage page = RecordPage.read(services.streams().log(s, shard), s, shard, position, limit,
                MAX_RESPONSE_BYTES);
        long sizeBytes = page.sizeBytes();
        throttle.chargeRead(sizeBytes);
        page.writeRecords(out, services.keys().atRest());
        long nowMs = services.streams().clock().millis();
        long millisBehind = page.millisBehindLatest(nowMs);
        if (page.shardEnded()) {
            out.nullValue("NextShardIterator");
            page.writeChildShards(out);
        } else {
            out.string("NextShardIterator", services.iterators().issue(services.streams().account(), s.name(),
                    s.epochMs(), shard.index(), page.nextPosition()));
        }
        out.number("MillisBehindLatest", millisBehind);
        meter.getRecords(shardId, s.shardLevelMetrics(), ApiMetrics.elapsedMicros(startNanos),
                page.records().size(), sizeBytes, page.iteratorAgeMs(nowMs));
    }
}
