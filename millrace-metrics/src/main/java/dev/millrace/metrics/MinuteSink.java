package dev.millrace.metrics;

import java.util.List;

/**
 * Where each ended minute's aggregates go (the CloudWatch store, wired by the application). Called from one thread
 * at a time ({@link KinesisMetrics#publishEnded}), at most once per account, region and call; never with an empty
 * list. An implementation must not block for long: it holds up the next account's minute.
 */
@FunctionalInterface
public interface MinuteSink {
    /** Drops everything: a node whose metrics go to Prometheus only. */
    MinuteSink NONE = (accountId, region, aggregates) -> {
    };

    /** The aggregates of ended minutes of the metrics of one account's region. */
    void publish(String accountId, String region, List<MinuteAggregate> aggregates);
}
