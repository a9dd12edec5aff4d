package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reader pool without a broker: its bound, its preference for a reader that continues where asked, forgetting. */
class ConsumerPoolTest {
    private static final TopicPartition A = new TopicPartition("a", 0);
    private static final TopicPartition B = new TopicPartition("b", 0);

    private final List<MockConsumer<byte[], byte[]>> made = new ArrayList<>();

    private ConsumerPool pool(int max, long borrowTimeoutMs) {
        return new ConsumerPool(() -> {
            MockConsumer<byte[], byte[]> c = new MockConsumer<>("none");
            c.updateBeginningOffsets(Map.of(A, 0L, B, 0L));
            made.add(c);
            return c;
        }, max, borrowTimeoutMs);
    }

    @Test
    void neverMoreReadersThanTheBoundAndAWaitingBorrowerGetsAReleasedOne() throws Exception {
        ConsumerPool pool = pool(2, 200);
        Object owner = new Object();
        ConsumerPool.Reader first = pool.borrow(owner, A, 0);
        ConsumerPool.Reader second = pool.borrow(owner, B, 0);
        long started = System.nanoTime();
        assertThatThrownBy(() -> pool.borrow(owner, A, 5)).isInstanceOf(StorageException.class)
                .matches(e -> KafkaErrors.retryable((StorageException) e), "retryable");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(190);
        assertThat(made).hasSize(2);

        ConsumerPool slow = pool(1, 5_000);
        ConsumerPool.Reader only = slow.borrow(owner, A, 0);
        CompletableFuture<ConsumerPool.Reader> waiting = CompletableFuture.supplyAsync(() -> slow.borrow(owner, B, 3));
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        slow.release(only, true);
        ConsumerPool.Reader handedOn = waiting.get(5, TimeUnit.SECONDS);
        assertThat(handedOn).isSameAs(only);
        assertThat(handedOn.consumer.position(B)).isEqualTo(3);
        assertThat(made).hasSize(3);
        pool.release(first, true);
        pool.release(second, true);
    }

    @Test
    void aBorrowerIsGivenTheReaderThatContinuesWhereItAsks() {
        ConsumerPool pool = pool(4, 1_000);
        Object shardA = new Object();
        Object shardB = new Object();
        ConsumerPool.Reader onA = pool.borrow(shardA, A, 7);
        ConsumerPool.Reader onB = pool.borrow(shardB, B, 0);
        onA.stopped(); // at 7
        pool.release(onA, true);
        pool.release(onB, true); // released last: the first choice of a stranger
        assertThat(pool.borrow(shardA, A, 7)).isSameAs(onA);
        pool.release(onA, true);
        // Another owner of the same topic name (a shard re-created under its key) never inherits onA's state.
        Object shardAAgain = new Object();
        ConsumerPool.Reader fresh = pool.borrow(shardAAgain, A, 7);
        assertThat(fresh).isNotSameAs(onA);
        assertThat(fresh.consumer.assignment()).containsExactly(A);
        assertThat(fresh.consumer.position(A)).isEqualTo(7);
    }

    @Test
    void forgottenOwnersAndUnhealthyReadersAreNotReused() {
        ConsumerPool pool = pool(2, 1_000);
        Object shard = new Object();
        ConsumerPool.Reader r = pool.borrow(shard, A, 4);
        r.stopped();
        pool.release(r, true);
        pool.forget(shard);
        assertThat(r.consumer.assignment()).isEmpty();
        ConsumerPool.Reader again = pool.borrow(shard, A, 4);
        assertThat(again).isSameAs(r); // the only idle one, positioned afresh
        assertThat(again.consumer.position(A)).isEqualTo(4);
        pool.release(again, false);
        assertThat(made.get(0).closed()).isTrue();
        assertThat(pool.size()).isZero();
        pool.close();
        assertThatThrownBy(() -> pool.borrow(shard, A, 0)).isInstanceOf(StorageException.class);
    }
}
