package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.state.ConsumerRecord;

import java.util.Map;
import java.util.TreeMap;
import dev.millrace.protocol.WireWriter;

/**
 * TagResource: AddTagsToStream addressed by ARN, for a stream or a registered consumer.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_TagResource.html
 *
 * <p>Thread-safe.
 */
final class TagResourceHandler implements OperationHandler {
    private final ApiServices services;

    TagResourceHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String arn = request.string("ResourceARN");
        ConsumerRecord consumer = ResourceArns.consumer(services, arn);
        if (consumer == null) {
            AddTagsToStreamHandler.addTags(services, ResourceArns.stream(services, arn).name(),
                    request.stringMap("Tags"));
            return;
        }
        TagRules.checkTags(request.stringMap("Tags"), "add tags to consumer " + arn);
        Map<String, String> tags = new TreeMap<>(consumer.tags());
        tags.putAll(request.stringMap("Tags"));
        if (tags.size() > AddTagsToStreamHandler.MAX_TAGS) {
            throw KinesisException.limitExceeded("A consumer cannot have more than " + AddTagsToStreamHandler.MAX_TAGS
                    + " tags.");
        }
        services.consumers().retag(consumer, tags);
    }
}
