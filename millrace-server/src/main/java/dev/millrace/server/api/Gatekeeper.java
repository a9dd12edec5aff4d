package dev.millrace.server.api;

import dev.millrace.protocol.Account;

/**
 * Decides whether a caller may run a Kinesis operation on a resource, after the request was read and validated and
 * before it runs. {@link #OPEN} lets everything through; the server's security layer evaluates IAM policies.
 *
 * <p>Implementations are thread-safe.
 */
@FunctionalInterface
public interface Gatekeeper {
    Gatekeeper OPEN = (caller, operation, resourceArn, scope, services) -> {
    };

    /**
     * Returns if allowed; throws {@link dev.millrace.protocol.KinesisException} ({@code AccessDeniedException}, with
     * AWS's message) if not.
     *
     * @param resourceArn the ARN the operation acts on ({@link RequestTargets#resourceArn}), {@code "*"} for none
     * @param scope       the account and region that owns the resource
     * @param services    that account's region's services (its resource policies)
     */
    void check(Caller caller, String operation, String resourceArn, Account scope, ApiServices services);
}
