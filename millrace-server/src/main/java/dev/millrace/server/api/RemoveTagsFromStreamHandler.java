package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * RemoveTagsFromStream: removes the named tags; unknown keys are ignored.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RemoveTagsFromStream.html
 *
 * <p>Thread-safe.
 */
final class RemoveTagsFromStreamHandler implements OperationHandler {
    private final ApiServices services;

    RemoveTagsFromStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        List<String> keys = request.list("TagKeys");
        removeTags(services, name, keys);
    }

    /** Removes tags from a stream, once their characters pass AWS's rule; shared with UntagResource. */
    static void removeTags(ApiServices services, String name, List<String> keys) {
        services.streams().updateAnyState(name, s -> {
            TagRules.check(keys, "remove tags from " + services.streams().context(name));
            Map<String, String> tags = new TreeMap<>(s.tags());
            keys.forEach(tags::remove);
            return s.withTags(tags);
        });
    }
}
