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
        if (!consumer.status().equals("ACTIVE")) {
            throw KinesisException.resourceInUse("Consumer " + consumerArn + " is not ACTIVE, instead in state "
                    + consumer.status() + ".");
        }
        StreamRecord s = services.streams().get(consumer.streamName());
        if (s.epochMs() != consumer.streamEpochMs()) {
            throw services.streams().notFound(consumer.streamName());
        }
        if (s.status() != StreamStatus.ACTIVE && s.status() != StreamStatus.UPDATING) {
            throw services.streams().notActive(s);
        }
        ShardRecord shard = ShardLookup.shard(services.streams(), s, request.string("ShardId"));
        Struct start = request.struct("StartingPosition");
        long position = StartingPositions.resolve(services, s, shard, start.string("Type"),
                start.string("SequenceNumber"), start.timestamp("Timestamp"), "SubscribeToShard");
        DryRun.stopIfRequested(request, services, s);
        services.fanOut().subscribe(consumerArn, s, shard, position, sink, requestId);
    }
}
