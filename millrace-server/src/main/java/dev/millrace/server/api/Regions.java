package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Account;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The regions this node serves: each has services of its own (streams, consumers, policies, settings, limits), so
 * that a stream created in one region does not exist in another and its ARN names the region the request was signed
 * for, as on AWS. A region is opened on its first request (and at start if it has stored data). A client chooses the
 * region name, so names must look like AWS's and at most {@link #MAX_REGIONS} are opened: each costs some memory.
 *
 * <p>Thread-safe.
 */
public final class Regions {
    /** More than AWS has (about 40 in 2026). */
    public static final int MAX_REGIONS = 64;

    private final Function<String, ApiServices> factory;
    private final ConcurrentHashMap<String, Regional> open = new ConcurrentHashMap<>();

    private record Regional(ApiServices services, OperationRouter router) {
    }

    /** {@code factory} makes one region's services; it is called once per region, under this object's lock. */
    public Regions(Function<String, ApiServices> factory) {
        this.factory = factory;
    }

    /** The region's operation table, opening the region if needed. */
    public OperationRouter router(String region) {
        return regional(region).router();
    }

    public ApiServices services(String region) {
        return regional(region).services();
    }

    /** Every open region's services, for periodic work. */
    public List<ApiServices> all() {
        return new ArrayList<>(open.values().stream().map(Regional::services).toList());
    }

    /** Opens regions at start (those with stored data). */
    public void openAll(Collection<String> regions) {
        regions.forEach(this::regional);
    }

    private Regional regional(String region) {
        Regional r = open.get(region);
        if (r != null) {
            return r;
        }
        if (!Account.isRegion(region)) {
            throw invalidRegion(region);
        }
        synchronized (this) {
            r = open.get(region);
            if (r == null) {
                if (open.size() >= MAX_REGIONS) {
                    throw invalidRegion(region);
                }
                ApiServices services = factory.apply(region);
                r = new Regional(services, OperationRouter.standard(services));
                open.put(region, r);
            }
            return r;
        }
    }

    /** What AWS answers a signature scoped to a region that does not exist. */
    private static KinesisException invalidRegion(String region) {
        return KinesisException.client("InvalidSignatureException",
                "Credential should be scoped to a valid region, not '" + region + "'.");
    }
}
