package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * UntagResource: RemoveTagsFromStream addressed by ARN, for a stream, a registered consumer or a channel.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UntagResource.html
 *
 * <p>Thread-safe.
 */
final class UntagResourceHandler implements OperationHandler {
    private final ApiServices services;

    UntagResourceHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String arn = request.string("ResourceARN");
        List<String> keys = request.list("TagKeys");
        Channel channel = ResourceArns.channel(services, arn);
        if (channel != null) {
            TagRules.check(keys, "remove tags from channel " + arn);
            Map<String, String> tags = new TreeMap<>(channel.tags());
            keys.forEach(tags::remove);
            services.channels().retag(channel, tags);
            return;
        }
        ConsumerRecord consumer = ResourceArns.consumer(services, arn);
        if (consumer != null) {
            TagRules.check(keys, "remove tags from consumer " + arn);
            Map<String, String> tags = new TreeMap<>(consumer.tags());
            keys.forEach(tags::remove);
            services.consumers().retag(consumer, tags);
            return;
        }
        RemoveTagsFromStreamHandler.removeTags(services, ResourceArns.stream(services, arn).name(), keys);
    }
}
