package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.util.Map;

/**
 * ListTagsForResource: every tag of the resource, in key order.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListTagsForResource.html
 *
 * <p>Thread-safe.
 */
final class ListTagsForResourceHandler implements OperationHandler {
    private final ApiServices services;

    ListTagsForResourceHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = ResourceArns.stream(services, request.string("ResourceARN"));
        out.startArray("Tags");
        for (Map.Entry<String, String> tag : s.tags().entrySet()) {
            out.startObject().string("Key", tag.getKey()).string("Value", tag.getValue()).endObject();
        }
        out.endArray();
    }
}
