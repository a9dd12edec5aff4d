package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.api.Regions;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One instance of a service per account (the DynamoDB tables of each account are its own, as on AWS), or per account
 * and region ({@link #regional}: CloudWatch's metrics), made on the first call. Bounded: only the server's own
 * account and those of its identities ever call, and an account has at most {@link Regions#MAX_REGIONS} regions, as
 * for Kinesis (a region is only a name in a credential scope, so without a bound each new name would cost a store).
 *
 * <p>Thread-safe.
 */
public final class PerAccount<T> {
    private final ConcurrentHashMap<String, T> byKey = new ConcurrentHashMap<>();
    private final Function<String, T> factory;

    /** {@code factory} makes a key's instance; it is called once per key. */
    public PerAccount(Function<String, T> factory) {
        this.factory = factory;
    }

    /** The same instance for every account (a server of one account, tests). */
    public static <T> PerAccount<T> single(T instance) {
        return new PerAccount<>(id -> instance);
    }

    /**
     * The key of one account's region, for the services AWS keeps per region as well as per account (CloudWatch's
     * metrics: a stream of one name in two regions has two series).
     */
    public static String regional(Account account) {
        return account.id() + "/" + account.region();
    }

    /**
     * The instance of {@code key}: an account id, or {@link #regional}'s key.
     *
     * @throws KinesisException as {@link Regions} answers, for an account's region past its
     *                          {@link Regions#MAX_REGIONS}th
     */
    public T of(String key) {
        T known = byKey.get(key);
        if (known != null) {
            return known;
        }
        synchronized (byKey) {
            int slash = key.indexOf('/');
            if (slash >= 0 && !byKey.containsKey(key)) {
                String account = key.substring(0, slash + 1);
                if (byKey.keySet().stream().filter(k -> k.startsWith(account)).count() >= Regions.MAX_REGIONS) {
                    throw Regions.invalidRegion(key.substring(slash + 1));
                }
            }
            return byKey.computeIfAbsent(key, factory);
        }
    }
}
