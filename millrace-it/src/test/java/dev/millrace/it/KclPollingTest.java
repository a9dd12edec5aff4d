package dev.millrace.it;

import dev.millrace.it.KclWorker.Retrieval;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KclTwoWorkersScenario} with polling retrieval ({@code PollingConfig}): KCL reads every shard with
 * GetShardIterator and GetRecords, and registers no consumer.
 */
class KclPollingTest extends KclTwoWorkersScenario {
    @Test
    void twoWorkersReadEveryRecordThroughGetRecords() throws Exception {
        twoWorkersProcessEveryRecordOnce("kcl-polling", Retrieval.POLLING);
        assertThat(KclHarness.OPERATIONS.count("Kinesis.GetRecords")).isPositive();
        assertThat(KclHarness.OPERATIONS.count("Kinesis.SubscribeToShard")).isZero();
        assertThat(KclHarness.OPERATIONS.count("Kinesis.RegisterStreamConsumer")).isZero();
    }
}
