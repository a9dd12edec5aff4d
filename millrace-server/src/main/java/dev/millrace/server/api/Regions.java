package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Account;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The regions of the accounts this node serves: each account's region has services of its own (streams, consumers,
 * policies, settings, limits), so that a stream created in one region or account does not exist in another and its
 * ARN names the account and region of the request, as on AWS. An account's region is opened on its first request
 * (and at start if it has stored data). A client chooses the region name, so names must look like AWS's and at most
 * {@link #MAX_REGIONS} are opened per account: each costs some memory. Accounts are those of the identities the
 * server knows (or the server's own), so their number is bounded by configuration.
 *
 * <p>Thread-safe.
 */
public final class Regions {
    /** More than AWS has (about 40 in 2026). */
    public static final int MAX_REGIONS = 64;

    private final Function<Account, ApiServices> factory;
    private final ConcurrentHashMap<Account, Regional> open = new ConcurrentHashMap<>();

    private record Regional(ApiServices services, OperationRouter router) {
    }

    /**
     * {@code factory} makes one account's region's services; it is called once per account and region, under this
     * object's lock.
     */
    public Regions(Function<Account, ApiServices> factory) {
        this.factory = factory;
    }

    /** The operation table of an account's region, opening it if needed. */
    public OperationRouter router(Account scope) {
        return regional(scope).router();
    }

    public ApiServices services(Account scope) {
        return regional(scope).services();
    }

    /** Every open region's services, for periodic work. */
    public List<ApiServices> all() {
        return new ArrayList<>(open.values().stream().map(Regional::services).toList());
    }

    /** Opens accounts' regions at start (those with stored data). */
    public void openAll(Collection<Account> scopes) {
        scopes.forEach(this::regional);
    }

    private Regional regional(Account scope) {
        Regional r = open.get(scope);
        if (r != null) {
            return r;
        }
        synchronized (this) {
            r = open.get(scope);
            if (r == null) {
                if (open.keySet().stream().filter(a -> a.id().equals(scope.id())).count() >= MAX_REGIONS) {
                    throw invalidRegion(scope.region());
                }
                ApiServices services = factory.apply(scope);
                r = new Regional(services, OperationRouter.standard(services));
                open.put(scope, r);
            }
            return r;
        }
    }

    /**
     * The account's region a request addresses, or AWS's answer to a signature scoped to a region that does not
     * exist.
     */
    public static Account scope(String region, String accountId) {
        if (!Account.isRegion(region)) {
            throw invalidRegion(region);
        }
        return new Account(region, accountId);
    }

    /** What AWS answers a signature scoped to a region that does not exist. */
    public static KinesisException invalidRegion(String region) {
        return KinesisException.client("InvalidSignatureException",
                "Credential should be scoped to a valid region, not '" + region + "'.");
    }
}
