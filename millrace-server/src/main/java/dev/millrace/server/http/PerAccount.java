package dev.millrace.server.http;

import dev.millrace.protocol.Account;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One instance of a service per account (the DynamoDB tables and CloudWatch metrics of each account are its own, as
 * on AWS), made on the account's first call. Bounded: only the server's own account and those of its identities ever
 * call.
 *
 * <p>Thread-safe.
 */
public final class PerAccount<T> {
    private final ConcurrentHashMap<String, T> byAccount = new ConcurrentHashMap<>();
    private final Function<String, T> factory;

    /** {@code factory} makes an account's instance; it is called once per account. */
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

    public T of(String accountId) {
        return byAccount.computeIfAbsent(accountId, factory);
    }
}
