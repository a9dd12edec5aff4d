package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.state.ConsumerRecord;

import java.util.Map;
import java.util.TreeMap;
import dev.millrace.protocol.WireWriter;

/**
 * TagResource: AddTagsToStream addressed by ARN, for a stream, a registered consumer or a channel.
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
        Channel channel = ResourceArns.channel(services, arn);
        if (channel != null) {
            Map<String, String> tags = new TreeMap<>(channel.tags());
            tags.putAll(request.stringMap("Tags"));
            ChannelOperations.checkTags(tags, "add tags to channel " + arn);
            services.channels().retag(channel, tags);
            return;
        }
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
