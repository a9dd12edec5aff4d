package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * UntagResource: RemoveTagsFromStream addressed by ARN.
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
        String name = ResourceArns.stream(services, request.string("ResourceARN")).name();
        List<String> keys = request.list("TagKeys");
        services.streams().updateAnyState(name, s -> {
            Map<String, String> tags = new TreeMap<>(s.tags());
            keys.forEach(tags::remove);
            return s.withTags(tags);
        });
    }
}
