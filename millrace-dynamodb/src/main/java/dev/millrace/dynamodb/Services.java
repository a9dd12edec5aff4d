package dev.millrace.dynamodb;

import java.time.Clock;

/**
 * What the operation handlers share: the table catalog, the clock and the region and account that ARNs name.
 *
 * <p>Immutable, thread-safe.
 */
record Services(Tables tables, Clock clock, String region, String accountId) {

    String tableArn(String table) {
        return "arn:aws:dynamodb:" + region + ":" + accountId + ":table/" + table;
    }
}
