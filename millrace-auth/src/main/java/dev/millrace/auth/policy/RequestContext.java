package dev.millrace.auth.policy;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The condition keys of one request, as IAM's request context: {@code aws:PrincipalArn}, {@code aws:SourceIp},
 * {@code aws:CurrentTime}, and any service key the caller puts in. Keys are case-insensitive, as in IAM; a key may
 * hold several values (a multivalued key, for {@code ForAnyValue:}/{@code ForAllValues:}). Time comes from the
 * caller ({@link Builder#currentTime}), never from the system clock.
 *
 * <p>Immutable, thread-safe; the builder is not thread-safe.
 */
public final class RequestContext {
    public static final RequestContext EMPTY = new RequestContext(Map.of());

    private final Map<String, List<String>> valuesByLowerKey;

    private RequestContext(Map<String, List<String>> valuesByLowerKey) {
        this.valuesByLowerKey = valuesByLowerKey;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The values of a key, or {@code null} if the request does not have it. */
    public List<String> values(String key) {
        return valuesByLowerKey.get(key.toLowerCase(Locale.ROOT));
    }

    /** For keys already in lower case (conditions lower-case theirs once, at parse time). */
    List<String> valuesOfLowerKey(String lowerKey) {
        return valuesByLowerKey.get(lowerKey);
    }

    @Override
    public String toString() {
        return valuesByLowerKey.toString();
    }

    /** Not thread-safe. */
    public static final class Builder {
        private final Map<String, List<String>> values = new HashMap<>();

        private Builder() {
        }

        /** Sets a single-valued key (replacing any earlier value). */
        public Builder put(String key, String value) {
            values.put(key.toLowerCase(Locale.ROOT), List.of(value));
            return this;
        }

        /** Sets a multivalued key; an empty collection is a present key with no values. */
        public Builder put(String key, Collection<String> keyValues) {
            values.put(key.toLowerCase(Locale.ROOT), List.copyOf(keyValues));
            return this;
        }

        /** {@code aws:PrincipalArn}, {@code aws:PrincipalAccount}, {@code aws:username}, {@code aws:PrincipalType}. */
        public Builder principal(String principalArn, String accountId, String userName) {
            put("aws:PrincipalArn", principalArn);
            put("aws:PrincipalAccount", accountId);
            put("aws:username", userName);
            return put("aws:PrincipalType", "User");
        }

        public Builder sourceIp(String address) {
            return put("aws:SourceIp", address);
        }

        public Builder secureTransport(boolean secure) {
            return put("aws:SecureTransport", Boolean.toString(secure));
        }

        /** {@code aws:CurrentTime} (ISO 8601) and {@code aws:EpochTime} (seconds), from the caller's clock. */
        public Builder currentTime(Instant now) {
            put("aws:CurrentTime", now.toString());
            return put("aws:EpochTime", Long.toString(now.getEpochSecond()));
        }

        public Builder requestedRegion(String region) {
            return put("aws:RequestedRegion", region);
        }

        public RequestContext build() {
            return new RequestContext(Map.copyOf(values));
        }
    }
}
