package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

import java.util.Map;
import java.util.TreeMap;

/**
 * AddTagsToStream: adds or overwrites tags, at most 50 per stream.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_AddTagsToStream.html
 *
 * <p>Thread-safe.
 */
final class AddTagsToStreamHandler implements OperationHandler {
    static final int MAX_TAGS = 50;

    private final ApiServices services;

    AddTagsToStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        addTags(services, StreamRefs.name(request, services.streams().account()), request.stringMap("Tags"));
    }

    /**
     * Adds tags to a stream, within the per-stream limit; shared with TagResource. The stream is looked up first, then
     * the tags' characters, then the limit. Over the limit AWS answers InvalidArgumentException with a text that
     * still says 10 although the limit is 50 (recorded, and the limit confirmed by the same recording).
     */
    static void addTags(ApiServices services, String name, Map<String, String> added) {
        String failedTo = "add tags to " + services.streams().context(name);
        services.streams().updateAnyState(name, s -> {
            TagRules.checkTags(added, failedTo);
            Map<String, String> tags = new TreeMap<>(s.tags());
            tags.putAll(added);
            if (tags.size() > MAX_TAGS) {
                throw KinesisException.invalidArgument("Failed to " + failedTo + " because a given stream cannot "
                        + "have more than 10 tags associated with it.");
            }
            return s.withTags(tags);
        });
    }
}
