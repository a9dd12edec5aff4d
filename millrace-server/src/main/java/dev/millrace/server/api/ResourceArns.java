package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.StreamRecord;

/**
 * Resolves the {@code ResourceARN} of the resource-level operations (tags, policies): a stream ARN, the ARN of one
 * of its registered consumers, or (for tags) a channel ARN.
 *
 * <p>Stateless, thread-safe.
 */
final class ResourceArns {
    private ResourceArns() {
    }

    static StreamRecord stream(ApiServices services, String resourceArn) {
        String name = services.streams().account().streamNameOf(resourceArn);
        if (name == null || resourceArn.contains("/consumer/")) {
            throw KinesisException.resourceNotFound("Resource " + resourceArn + " not found.");
        }
        return services.streams().get(name);
    }

    /** The channel a channel ARN names (it must exist), or {@code null} for any other ARN. */
    static Channel channel(ApiServices services, String resourceArn) {
        return isChannel(resourceArn) ? services.channels().describe(resourceArn) : null;
    }

    static boolean isChannel(String resourceArn) {
        String[] parts = resourceArn.split(":", 6);
        return parts.length == 6 && parts[5].startsWith("channel/");
    }

    /** The consumer a consumer ARN names (it must exist), or {@code null} for any other ARN. */
    static ConsumerRecord consumer(ApiServices services, String resourceArn) {
        return resourceArn.contains("/consumer/") ? services.consumers().find(resourceArn, null, null) : null;
    }

    /** The stream the ARN belongs to: the stream itself, or the stream of the consumer it names. */
    static StreamRecord owner(ApiServices services, String resourceArn) {
        ConsumerRecord c = consumer(services, resourceArn);
        return c == null ? stream(services, resourceArn) : services.streams().get(c.streamName());
    }
}
