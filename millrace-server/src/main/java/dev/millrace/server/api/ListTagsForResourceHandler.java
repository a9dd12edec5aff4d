package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

import java.util.Map;
import java.util.TreeMap;

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
        String arn = request.string("ResourceARN");
        Channel channel = ResourceArns.channel(services, arn);
        ConsumerRecord consumer = channel == null ? ResourceArns.consumer(services, arn) : null;
        Map<String, String> tags = channel != null ? channel.tags() : consumer != null ? new TreeMap<>(consumer.tags())
                : ResourceArns.stream(services, arn).tags();
        out.startArray("Tags");
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            out.startObject().string("Key", tag.getKey()).string("Value", tag.getValue()).endObject();
        }
        out.endArray();
    }
}
