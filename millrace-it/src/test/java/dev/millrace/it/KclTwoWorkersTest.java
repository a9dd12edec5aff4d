package dev.millrace.it;

import dev.millrace.it.KclWorker.Retrieval;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KclTwoWorkersScenario} with each of KCL's retrievals, both at once, each on a server of its own: most of a
 * run is KCL's start (a worker that finds its lease table empty waits 1 to 30 s, at random, before it makes the
 * leases), which the two may spend together. Each checks the calls of its own workers.
 *
 * <p>Thread-safe as JUnit uses it: an instance per test, each with its own directory, server and workers.
 */
@Execution(ExecutionMode.CONCURRENT)
class KclTwoWorkersTest extends KclTwoWorkersScenario {
    /** Polling ({@code PollingConfig}): KCL reads every shard with GetShardIterator and GetRecords, no consumer. */
    @Test
    void twoWorkersReadEveryRecordThroughGetRecords() throws Exception {
        Map<String, Integer> calls = twoWorkersProcessEveryRecordOnce("kcl-polling", Retrieval.POLLING);
        assertThat(calls.getOrDefault("Kinesis.GetRecords", 0)).isPositive();
        assertThat(calls.getOrDefault("Kinesis.SubscribeToShard", 0)).isZero();
        assertThat(calls.getOrDefault("Kinesis.RegisterStreamConsumer", 0)).isZero();
    }

    /**
     * KCL's default retrieval, enhanced fan-out: KCL registers its consumer and reads every shard with
     * SubscribeToShard over HTTP/2, never with GetRecords. KCL's metrics are on and go to Millrace's CloudWatch
     * endpoint, which accepts every one of them.
     */
    @Test
    void twoWorkersReadEveryRecordThroughFanOut() throws Exception {
        Map<String, Integer> calls = twoWorkersProcessEveryRecordOnce("kcl-fanout", Retrieval.FAN_OUT);
        assertThat(calls.getOrDefault("Kinesis.RegisterStreamConsumer", 0)).isPositive();
        assertThat(calls.getOrDefault("Kinesis.SubscribeToShard", 0)).isGreaterThanOrEqualTo(4);
        assertThat(calls.getOrDefault("Kinesis.GetRecords", 0)).isZero();
        assertThat(calls.getOrDefault("CloudWatch.PutMetricData", 0)).as("metrics published").isPositive();
        assertThat(calls.getOrDefault("CloudWatch.PutMetricData!failed", 0)).as("metrics refused").isZero();
    }
}
