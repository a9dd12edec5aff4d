package dev.millrace.server.state;

import dev.millrace.storage.MetadataStore;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Resource policies attached to streams (and, later, consumers), kept in the metadata store under
 * {@code policy/<resource ARN>}. They are stored and reported; Millrace does not evaluate them.
 *
 * <p>Thread-safe: the metadata store serialises commits.
 */
public final class ResourcePolicies {
    private static final String PREFIX = "policy/";

    private final MetadataStore metadata;

    public ResourcePolicies(MetadataStore metadata) {
        this.metadata = metadata;
    }

    public void put(String resourceArn, String policy) {
        metadata.commit(Map.of(PREFIX + resourceArn, policy.getBytes(StandardCharsets.UTF_8)));
    }

    public Optional<String> get(String resourceArn) {
        return metadata.get(PREFIX + resourceArn).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    public void delete(String resourceArn) {
        Map<String, byte[]> change = new HashMap<>();
        change.put(PREFIX + resourceArn, null);
        metadata.commit(change);
    }

    /**
     * Drops the policy of a stream and those of its consumers ({@code <stream ARN>/consumer/…}); called when the
     * stream is deleted. Not a scan of the stream ARN as a prefix: that would also take the policies of every stream
     * whose name starts with this one's ({@code s} and {@code s-2}).
     */
    public void deleteAllOf(String streamArn) {
        Map<String, byte[]> changes = new HashMap<>();
        if (metadata.get(PREFIX + streamArn).isPresent()) {
            changes.put(PREFIX + streamArn, null);
        }
        metadata.scan(PREFIX + streamArn + "/").keySet().forEach(k -> changes.put(k, null));
        metadata.commit(changes);
    }
}
