package dev.millrace.server.security;

import dev.millrace.auth.Authorizer;
import dev.millrace.auth.Identity;
import dev.millrace.auth.policy.Decision;
import dev.millrace.auth.policy.MalformedPolicyException;
import dev.millrace.auth.policy.PolicyDocument;
import dev.millrace.auth.policy.RequestContext;
import dev.millrace.protocol.Account;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.Gatekeeper;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The IAM check of every call: the caller's identity policy and, when the resource has one, its resource policy
 * (PutResourcePolicy), evaluated with AWS's logic by millrace-auth. A caller nobody authenticated
 * ({@link Caller#UNCHECKED}: {@code --auth none}, or a call another node authorized) is let through.
 *
 * <p>Resource policies are kept as JSON in the metadata; each distinct text is parsed once (a bounded cache: past
 * {@link #MAX_CACHED_POLICIES} texts it starts again), so that a PutRecords pays a map lookup, not a parse.
 *
 * <p>Thread-safe.
 */
public final class PolicyGatekeeper implements Gatekeeper {
    static final int MAX_CACHED_POLICIES = 4096;
    /** Stands for a stored text that does not parse (stored before policies were checked): it grants nothing. */
    private static final Optional<PolicyDocument> UNUSABLE = Optional.empty();

    private final Clock clock;
    private final ConcurrentHashMap<String, Optional<PolicyDocument>> parsed = new ConcurrentHashMap<>();

    public PolicyGatekeeper(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void check(Caller caller, String operation, String resourceArn, Account scope, ApiServices services) {
        if (caller.identity() == null) {
            return;
        }
        PolicyDocument resourcePolicy = "*".equals(resourceArn) ? null
                : services.policies().get(resourceArn).flatMap(this::parse).orElse(null);
        authorize(caller, "kinesis:" + operation, resourceArn, scope, resourcePolicy);
    }

    /**
     * Refuses with AWS's AccessDeniedException unless {@code caller} may perform {@code action} on
     * {@code resourceArn} ({@code "*"} for none) of {@code scope}'s account, given the resource's policy (or null).
     */
    public void authorize(Caller caller, String action, String resourceArn, Account scope,
                          PolicyDocument resourcePolicy) {
        Identity identity = caller.identity();
        if (identity == null) {
            return;
        }
        Decision d = Authorizer.authorize(identity, action, "*".equals(resourceArn) ? null : resourceArn,
                scope.id(), resourcePolicy, context(caller, identity, scope, resourcePolicy));
        if (!d.allowed()) {
            throw d.toException();
        }
    }

    /**
     * The request's condition keys, built only when a policy in play has a Condition to read them: most have none,
     * and building them (a map of seven keys and a clock reading) was most of the cost of authorizing a call.
     */
    private RequestContext context(Caller caller, Identity identity, Account scope, PolicyDocument resourcePolicy) {
        PolicyDocument identityPolicy = identity.policy();
        if ((identityPolicy == null || !identityPolicy.readsContext())
                && (resourcePolicy == null || !resourcePolicy.readsContext())) {
            return RequestContext.EMPTY;
        }
        RequestContext.Builder context = Authorizer.contextFor(identity).secureTransport(caller.secureTransport())
                .currentTime(clock.instant()).requestedRegion(scope.region());
        if (caller.sourceIp() != null) {
            context.sourceIp(caller.sourceIp());
        }
        return context.build();
    }

    private Optional<PolicyDocument> parse(String json) {
        Optional<PolicyDocument> known = parsed.get(json);
        if (known != null) {
            return known;
        }
        Optional<PolicyDocument> doc;
        try {
            doc = Optional.of(PolicyDocument.parseResourcePolicy(json));
        } catch (MalformedPolicyException | IllegalArgumentException e) {
            doc = UNUSABLE;
        }
        if (parsed.size() >= MAX_CACHED_POLICIES) {
            parsed.clear();
        }
        parsed.put(json, doc);
        return doc;
    }
}
