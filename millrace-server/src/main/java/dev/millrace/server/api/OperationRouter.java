package dev.millrace.server.api;

import dev.millrace.server.fanout.StreamingOperationHandler;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The dispatch table: operation name to handler. Dispatch is a lookup, nothing more.
 *
 * <p>Immutable after construction, thread-safe.
 */
public final class OperationRouter {
    /**
     * The operations that change metadata (streams, shards, consumers, tags, policies, settings). On a node of a
     * cluster they run on the metadata writer only: a follower forwards them there whole, so the writer's locks keep
     * serializing them as on one node, and it computes each change from the latest state, never a stale view. Every
     * other operation is answered by the node it reaches: reads from its view of the metadata, records from the logs.
     */
    private static final Set<String> METADATA_CHANGES = Set.of(
            "AddTagsToStream", "CreateChannel", "CreateStream", "DecreaseStreamRetentionPeriod", "DeleteChannel",
            "DeleteResourcePolicy", "DeleteStream", "DeregisterStreamConsumer", "DisableEnhancedMonitoring",
            "EnableEnhancedMonitoring", "IncreaseStreamRetentionPeriod", "MergeShards", "PutResourcePolicy",
            "RegisterStreamConsumer", "RemoveTagsFromStream", "SplitShard", "StartStreamEncryption",
            "StopStreamEncryption", "TagResource", "UntagResource", "UpdateAccountSettings", "UpdateChannel",
            "UpdateMaxRecordSize", "UpdateShardCount", "UpdateStreamMode", "UpdateStreamRecordDistributionStrategy",
            "UpdateStreamWarmThroughput");
    private final ApiServices services;
    private final Map<String, OperationHandler> handlers;
    private final Map<String, StreamingOperationHandler> streaming;

    private OperationRouter(ApiServices services, Map<String, OperationHandler> handlers,
                            Map<String, StreamingOperationHandler> streaming) {
        this.services = services;
        this.handlers = Map.copyOf(handlers);
        this.streaming = Map.copyOf(streaming);
    }

    /** The table of every implemented operation. */
    public static OperationRouter standard(ApiServices s) {
        Map<String, OperationHandler> t = new TreeMap<>();
        t.put("AddTagsToStream", new AddTagsToStreamHandler(s));
        t.put("CreateChannel", new CreateChannelHandler(s));
        t.put("CreateStream", new CreateStreamHandler(s));
        t.put("DecreaseStreamRetentionPeriod", new DecreaseStreamRetentionPeriodHandler(s));
        t.put("DeleteChannel", new DeleteChannelHandler(s));
        t.put("DeleteResourcePolicy", new DeleteResourcePolicyHandler(s));
        t.put("DeleteStream", new DeleteStreamHandler(s));
        t.put("DeregisterStreamConsumer", new DeregisterStreamConsumerHandler(s));
        t.put("DescribeChannel", new DescribeChannelHandler(s));
        t.put("DescribeStreamConsumer", new DescribeStreamConsumerHandler(s));
        t.put("DescribeAccountSettings", new DescribeAccountSettingsHandler(s));
        t.put("DescribeLimits", new DescribeLimitsHandler(s));
        t.put("DescribeStream", new DescribeStreamHandler(s));
        t.put("DescribeStreamSummary", new DescribeStreamSummaryHandler(s));
        t.put("DisableEnhancedMonitoring", new DisableEnhancedMonitoringHandler(s));
        t.put("EnableEnhancedMonitoring", new EnableEnhancedMonitoringHandler(s));
        t.put("GetRecords", new GetRecordsHandler(s));
        t.put("GetResourcePolicy", new GetResourcePolicyHandler(s));
        t.put("GetShardIterator", new GetShardIteratorHandler(s));
        t.put("IncreaseStreamRetentionPeriod", new IncreaseStreamRetentionPeriodHandler(s));
        t.put("ListChannels", new ListChannelsHandler(s));
        t.put("ListShards", new ListShardsHandler(s));
        t.put("ListStreamConsumers", new ListStreamConsumersHandler(s));
        t.put("ListStreams", new ListStreamsHandler(s));
        t.put("ListTagsForResource", new ListTagsForResourceHandler(s));
        t.put("ListTagsForStream", new ListTagsForStreamHandler(s));
        t.put("PutRecord", new PutRecordHandler(s));
        t.put("PutRecords", new PutRecordsHandler(s));
        t.put("PutResourcePolicy", new PutResourcePolicyHandler(s));
        t.put("RegisterStreamConsumer", new RegisterStreamConsumerHandler(s));
        t.put("RemoveTagsFromStream", new RemoveTagsFromStreamHandler(s));
        t.put("MergeShards", new MergeShardsHandler(s));
        t.put("SplitShard", new SplitShardHandler(s));
        t.put("StartStreamEncryption", new StartStreamEncryptionHandler(s));
        t.put("StopStreamEncryption", new StopStreamEncryptionHandler(s));
        t.put("TagResource", new TagResourceHandler(s));
        t.put("UntagResource", new UntagResourceHandler(s));
        t.put("UpdateAccountSettings", new UpdateAccountSettingsHandler(s));
        t.put("UpdateChannel", new UpdateChannelHandler(s));
        t.put("UpdateMaxRecordSize", new UpdateMaxRecordSizeHandler(s));
        t.put("UpdateShardCount", new UpdateShardCountHandler(s));
        t.put("UpdateStreamMode", new UpdateStreamModeHandler(s));
        t.put("UpdateStreamRecordDistributionStrategy", new UpdateStreamRecordDistributionStrategyHandler(s));
        t.put("UpdateStreamWarmThroughput", new UpdateStreamWarmThroughputHandler(s));
        // Control-plane rate limits wrap the handlers; the table itself stays a plain name-to-handler map.
        t.replaceAll((operation, handler) -> (request, out) -> {
            s.throttles().checkOperation(operation);
            handler.handle(request, out);
        });
        return new OperationRouter(s, t, Map.of("SubscribeToShard", new SubscribeToShardHandler(s)));
    }

    /** Whether {@code operation} changes metadata, and so runs on a cluster's metadata writer. */
    public static boolean changesMetadata(String operation) {
        return operation != null && METADATA_CHANGES.contains(operation);
    }

    /** The services of the account's region this table serves. */
    public ApiServices services() {
        return services;
    }

    /** The event-stream handler of an operation answered with an event stream, or {@code null}. */
    public StreamingOperationHandler streaming(String operation) {
        return streaming.get(operation);
    }

    /** The handler, or {@code null} if the operation is not implemented. */
    public OperationHandler handler(String operation) {
        return handlers.get(operation);
    }
}
