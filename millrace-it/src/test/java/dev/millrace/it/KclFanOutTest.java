package dev.millrace.it;

import dev.millrace.it.KclWorker.Retrieval;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KclTwoWorkersScenario} with KCL's default retrieval, enhanced fan-out: KCL registers its consumer and reads
 * every shard with SubscribeToShard over HTTP/2, never with GetRecords. KCL's metrics are on and go to Millrace's
 * CloudWatch endpoint, which accepts every one of them.
 */
class KclFanOutTest extends KclTwoWorkersScenario {
    @Test
    void twoWorkersReadEveryRecordThroughFanOut() throws Exception {
        twoWorkersProcessEveryRecordOnce("kcl-fanout", Retrieval.FAN_OUT);
        assertThat(KclHarness.OPERATIONS.count("Kinesis.RegisterStreamConsumer")).isPositive();
        assertThat(KclHarness.OPERATIONS.count("Kinesis.SubscribeToShard")).isGreaterThanOrEqualTo(4);
        assertThat(KclHarness.OPERATIONS.count("Kinesis.GetRecords")).isZero();
        assertThat(KclHarness.OPERATIONS.count("CloudWatch.PutMetricData")).as("metrics published").isPositive();
        assertThat(KclHarness.OPERATIONS.count("CloudWatch.PutMetricData!failed")).as("metrics refused").isZero();
    }
}
