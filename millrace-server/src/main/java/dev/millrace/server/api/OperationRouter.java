package dev.millrace.server.api;

import java.util.Map;
import java.util.TreeMap;

/**
 * The dispatch table: operation name to handler. Dispatch is a lookup, nothing more.
 *
 * <p>Immutable after construction, thread-safe.
 */
public final class OperationRouter {
    private final Map<String, OperationHandler> handlers;

    private OperationRouter(Map<String, OperationHandler> handlers) {
        this.handlers = Map.copyOf(handlers);
    }

    /** The table of every implemented operation. */
    public static OperationRouter standard(ApiServices s) {
        Map<String, OperationHandler> t = new TreeMap<>();
        t.put("AddTagsToStream", new AddTagsToStreamHandler(s));
        t.put("CreateStream", new CreateStreamHandler(s));
        t.put("DecreaseStreamRetentionPeriod", new DecreaseStreamRetentionPeriodHandler(s));
        t.put("DeleteStream", new DeleteStreamHandler(s));
        t.put("DescribeLimits", new DescribeLimitsHandler(s));
        t.put("DescribeStream", new DescribeStreamHandler(s));
        t.put("DescribeStreamSummary", new DescribeStreamSummaryHandler(s));
        t.put("GetRecords", new GetRecordsHandler(s));
        t.put("GetShardIterator", new GetShardIteratorHandler(s));
        t.put("IncreaseStreamRetentionPeriod", new IncreaseStreamRetentionPeriodHandler(s));
        t.put("ListShards", new ListShardsHandler(s));
        t.put("ListStreams", new ListStreamsHandler(s));
        t.put("ListTagsForStream", new ListTagsForStreamHandler(s));
        t.put("PutRecord", new PutRecordHandler(s));
        t.put("PutRecords", new PutRecordsHandler(s));
        t.put("RemoveTagsFromStream", new RemoveTagsFromStreamHandler(s));
        return new OperationRouter(t);
    }

    /** The handler, or {@code null} if the operation is not implemented. */
    public OperationHandler handler(String operation) {
        return handlers.get(operation);
    }
}
