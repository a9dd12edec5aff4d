package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.util.Map;

/**
 * ListTagsForStream: tags in key order, {@code Limit} (default 50) after {@code ExclusiveStartTagKey}.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListTagsForStream.html
 *
 * <p>Thread-safe.
 */
final class ListTagsForStreamHandler implements OperationHandler {
    static final int LIMIT_DEFAULT = 50;

    private final ApiServices services;

    ListTagsForStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = services.streams().get(StreamRefs.name(request, services.streams().account()));
        int limit = request.integer("Limit") == null ? LIMIT_DEFAULT : request.integer("Limit");
        String after = request.string("ExclusiveStartTagKey");
        Map<String, String> tags = after == null ? s.tags() : s.tags().tailMap(after + "\0");
        out.startArray("Tags");
        int written = 0;
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            if (written == limit) {
                break;
            }
            out.startObject().string("Key", tag.getKey()).string("Value", tag.getValue()).endObject();
            written++;
        }
        out.endArray().bool("HasMoreTags", tags.size() > limit);
    }
}
