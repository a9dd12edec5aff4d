package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which characters tag keys and values may hold, with AWS's two messages. AWS checks in two steps, as recorded against
 * AddTagsToStream and RemoveTagsFromStream: a tag with a character outside Unicode letters, digits, white space
 * (space separators: a tab or a newline is refused) and {@code _ . / = + - % @} gets "Some tags contain invalid
 * characters..."; one that passes but holds {@code %} is then refused with "Failed to &lt;action&gt; because some tags
 * contained illegal characters...". {@code :} is accepted as well: TagResource's reference lists it among the valid
 * characters, and the tags of a stream are the same whichever operation set them. Every operation that takes tags
 * applies the rule (AddTagsToStream, RemoveTagsFromStream, TagResource, UntagResource, CreateStream,
 * RegisterStreamConsumer).
 *
 * <p>Stateless, thread-safe.
 */
final class TagRules {
    private static final Pattern VALID = Pattern.compile("[\\p{L}\\p{N}\\p{Z}_.:/=+\\-@%]*");

    private TagRules() {
    }

    /** Checks the keys and values of {@code tags}; {@code action} completes "Failed to ..." in AWS's message. */
    static void checkTags(Map<String, String> tags, String action) {
        if (tags == null) {
            return;
        }
        List<String> all = new ArrayList<>(tags.keySet());
        all.addAll(tags.values());
        check(all, action);
    }

    /** Checks tag keys or values: the first step over all of them, then the second. */
    static void check(Collection<String> keysOrValues, String action) {
        if (keysOrValues == null) {
            return;
        }
        for (String s : keysOrValues) {
            if (s != null && !VALID.matcher(s).matches()) {
                throw KinesisException.invalidArgument("Some tags contain invalid characters. Valid characters: "
                        + "Unicode letters, digits, white space, _ . / = + - % @.");
            }
        }
        for (String s : keysOrValues) {
            if (s != null && s.indexOf('%') >= 0) {
                throw KinesisException.invalidArgument("Failed to " + action + " because some tags contained illegal "
                        + "characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+',"
                        + "'-','@'.");
            }
        }
    }
}
