package dev.millrace.auth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One snapshot of the known identities, looked up by access key id on every signed request, and the warnings its
 * source earned (a file readable by others, an identity without a policy) for the caller to log. A reload builds a
 * new snapshot and swaps it in whole; this one never changes.
 *
 * <p>Immutable, thread-safe.
 */
public final class Identities {
    public static final Identities EMPTY = new Identities(List.of(), Map.of(), List.of());

    private final List<Identity> all;
    private final Map<String, Identity> byAccessKeyId;
    private final List<String> warnings;

    private Identities(List<Identity> all, Map<String, Identity> byAccessKeyId, List<String> warnings) {
        this.all = all;
        this.byAccessKeyId = byAccessKeyId;
        this.warnings = warnings;
    }

    /**
     * @throws IllegalArgumentException if two identities share an access key id, or a name within one account
     */
    public static Identities of(List<Identity> identities, List<String> warnings) {
        Map<String, Identity> byKey = new HashMap<>();
        Set<String> arns = new HashSet<>();
        for (Identity identity : identities) {
            Identity before = byKey.putIfAbsent(identity.accessKeyId(), identity);
            if (before != null) {
                throw new IllegalArgumentException("identities \"" + before.name() + "\" and \"" + identity.name()
                        + "\" have the same accessKeyId " + identity.accessKeyId() + "; access key ids are unique");
            }
            if (!arns.add(identity.principalArn())) {
                throw new IllegalArgumentException("two identities are named \"" + identity.name() + "\" in account "
                        + identity.accountId() + "; names are unique per account");
            }
        }
        return new Identities(List.copyOf(identities), Map.copyOf(byKey), List.copyOf(new ArrayList<>(warnings)));
    }

    /** The identity with this access key id, or {@code null}. */
    public Identity byAccessKeyId(String accessKeyId) {
        return accessKeyId == null ? null : byAccessKeyId.get(accessKeyId);
    }

    /** Every identity, in the order of its source. */
    public List<Identity> all() {
        return all;
    }

    public int size() {
        return all.size();
    }

    /** Facts worth a log line, each a complete sentence. */
    public List<String> warnings() {
        return warnings;
    }
}
