package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * UntagResource: RemoveTagsFromStream addressed by ARN, for a stream or a registered consumer.
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
