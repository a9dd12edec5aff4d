package dev.millrace.lambda;

import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes (two APIs on one store) creating the same (source, function) pair at once: exactly one mapping, the
 * other call a conflict naming it. And a call whose commit loses a race to an unrelated commit is run again, once;
 * a store that never settles is a retryable TooManyRequestsException with nothing half kept.
 */
class LambdaRacesTest extends ApiFixture {
    /** How many more commits of the mapping calls an unrelated commit slips in before. */
    int interferences;

    @Test
    void ofTwoNodesCreatingOnePairExactlyOneWins() throws Exception {
        LambdaApi other = newApi();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 25; round++) {
                String source = STREAM + "-race" + round;
                streams.stream(source, 1L);
                String body = "{'FunctionName':'fn','EventSourceArn':'" + source + "','StartingPosition':'LATEST'}";
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<LambdaApi.Result>> calls = new ArrayList<>();
                for (LambdaApi node : List.of(api, other)) {
                    calls.add(pool.submit(() -> {
                        start.await();
                        return node.handle("POST", LambdaApi.BASE, Map.of(), bytes(body));
                    }));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<LambdaApi.Result> f : calls) {
                    statuses.add(f.get(30, TimeUnit.SECONDS).httpStatus());
                }
                assertThat(statuses).as("round " + round).containsExactlyInAnyOrder(202, 409);
                assertThat(api.mappings().all().stream().filter(m -> m.eventSourceArn().equals(source)))
                        .hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCallThatLostARaceIsRunAgain() {
        api = new LambdaApi(new Interfering(), clock, ACCOUNT, functions, streams);
        interferences = 3;
        String uuid = (String) createDefault("").get("UUID");
        assertThat(interferences).isZero();
        assertThat(store.scan("lambda/esm/")).containsOnlyKeys("lambda/esm/" + uuid);
        assertThat(store.scan("lambda/esm-pair/")).hasSize(1);
    }

    @Test
    void aStoreThatNeverSettlesIsTooManyRequests() {
        api = new LambdaApi(new Interfering(), clock, ACCOUNT, functions, streams);
        interferences = Integer.MAX_VALUE;
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}"), 429, "TooManyRequestsException")).contains("retry");
        assertThat(store.scan("lambda/")).isEmpty();
    }

    /** The store, with an unrelated commit before each conditional commit while {@link #interferences} lasts. */
    private final class Interfering implements MetadataStore {
        @Override
        public Optional<byte[]> get(String key) {
            return store.get(key);
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return store.scan(prefix);
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            return store.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            if (interferences > 0) {
                interferences--;
                store.commit(Map.of("channels/checkpoint", new byte[] {1}));
            }
            return store.commitIfVersion(expectedVersion, changes);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return store.onCommit(listener);
        }

        @Override
        public long version() {
            return store.version();
        }

        @Override
        public void close() {
        }
    }
}
