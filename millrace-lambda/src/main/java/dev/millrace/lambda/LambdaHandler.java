package dev.millrace.lambda;

import java.util.List;
import java.util.Map;

/**
 * One operation of the mapping API: the call in, the answer's JSON out, or a {@link LambdaException}; a
 * {@link dev.millrace.lambda.mapping.MappingStore.Stale} when its commit lost a race (the call is then run again).
 * Handlers hold no routing ({@link LambdaApi}'s table does). Implementations are thread-safe.
 */
interface LambdaHandler {

    /**
     * @param uuid  the path's {UUID}, or null for the collection's path
     * @param query the query string's parameters, decoded
     * @param body  the body's members
     */
    record Call(String uuid, Map<String, List<String>> query, JsonBody body) {
        /** The first value of query parameter {@code name}, or null. */
        String param(String name) {
            List<String> values = query.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    byte[] handle(Call call);
}
