package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.StreamRecord;

/**
 * Resolves the {@code ResourceARN} of the resource-level operations (tags, policies) to a stream. Consumer ARNs name
 * a resource Millrace does not have yet, so they are not found.
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
}
