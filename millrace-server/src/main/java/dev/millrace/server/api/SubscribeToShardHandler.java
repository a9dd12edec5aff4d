package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.fanout.EventSink;
import dev.millrace.server.fanout.StreamingOperationHandler;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamStatus;

/**
 * SubscribeToShard: pushes a shard's records to a registered, ACTIVE consumer over one HTTP/2 response for up to
 * five minutes, from any starting position.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_SubscribeToShard.html
 *
 * <p>Thread-safe.
 */
final class SubscribeToShardHandler implements StreamingOperationHandler {
    private final ApiServices services;

    SubscribeToShardHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void subscribe(Struct request, EventSink sink, String requestId) {
        String consumerArn = request.string("ConsumerARN");
        ConsumerRecord consumer = services.consumers().find(consumerArn, null, null);
        // Looked up before the checks, which keep their order: a refusal of a consumer whose stream is found is a
        // failed subscription, a sample of 0 of SubscribeToShard.Success (AWS's average is the success rate).
        StreamRecord s = services.streams().find(consumer.streamName())
                .filter(found -> found.epochMs() == consumer.streamEpochMs()).orElse(null);
        ShardRecord shard;
        long position;
        try {
            shard = check(request, consumerArn, consumer, s);
            Struct start = request.struct("StartingPosition");
            position = StartingPositions.resolve(services, s, shard, start.string("Type"),
                    start.string("SequenceNumber"), start.timestamp("Timestamp"), "SubscribeToShard");
            DryRun.stopIfRequested(request, services, s);
        } catch (RuntimeException e) {
            if (s != null && !DryRun.requested(request)) {
                services.fanOut().refused(consumerArn, s);
            }
            throw e;
        }
        // Counts its own outcome: established, refused within 5 seconds, or failed.
        services.fanOut().subscribe(consumerArn, s, shard, position, sink, requestId);
    }

    /** The shard to read, once the consumer and its stream are found able to be read. */
    private ShardRecord check(Struct request, String consumerArn, ConsumerRecord consumer, StreamRecord s) {
        if (!consumer.status().equals("ACTIVE")) {
            throw KinesisException.resourceInUse("Consumer " + consumerArn + " is not ACTIVE, instead in state "
                    + consumer.status() + ".");
        }
        if (s == null) {
            throw services.streams().notFound(consumer.streamName());
        }
        if (s.status() != StreamStatus.ACTIVE && s.status() != StreamStatus.UPDATING) {
            throw services.streams().notActive(s);
        }
        return ShardLookup.shard(services.streams(), s, request.string("ShardId"));
    }
}
