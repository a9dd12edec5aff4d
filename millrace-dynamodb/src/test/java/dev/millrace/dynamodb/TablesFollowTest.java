package dev.millrace.dynamodb;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.millrace.dynamodb.DynamoTesting.attr;
import static dev.millrace.dynamodb.DynamoTesting.list;
import static dev.millrace.dynamodb.DynamoTesting.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Two DynamoApis on one embedded store act as two nodes: B, which takes no requests but reads here to show what it
 * holds, must follow every table and item A changes through the store's change feed, so that it starts from them
 * when elected writer.
 */
class TablesFollowTest {
    private static final String NUMBER_BINARY_TABLE = """
            {'TableName':'numbin','KeySchema':[{'AttributeName':'n','KeyType':'HASH'},
             {'AttributeName':'b','KeyType':'RANGE'}],
             'AttributeDefinitions':[{'AttributeName':'n','AttributeType':'N'},{'AttributeName':'b','AttributeType':'B'}],
             'BillingMode':'PAY_PER_REQUEST'}""";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private FileMetadataStore store;
    private DynamoTesting a;
    private DynamoTesting b;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir);
        a = new DynamoTesting(new DynamoApi(store, clock));
        b = new DynamoTesting(new DynamoApi(store, clock));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void everyTableAndItemChangeOnTheWriterReachesTheFollower() {
        a.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        assertThat(list(b.ok("ListTables", "{}").get("TableNames"))).containsExactly("app");
        a.createLease("shardId-0", "w1", 1);
        a.createLease("shardId-1", "w1", 1);
        assertThat(attr(b.getLease("shardId-0"), "leaseOwner")).isEqualTo("w1");

        a.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}},"
                + "'UpdateExpression':'SET leaseOwner = :o ADD leaseCounter :one',"
                + "'ExpressionAttributeValues':{':o':{'S':'w2'},':one':{'N':'1'}}}");
        assertThat(attr(b.getLease("shardId-0"), "leaseOwner")).isEqualTo("w2");
        assertThat(attr(b.getLease("shardId-0"), "leaseCounter")).isEqualTo("2");

        a.ok("DeleteItem", "{'TableName':'app','Key':{'leaseKey':{'S':'shardId-1'}}}");
        assertThat(b.getLease("shardId-1")).isNull();
        a.ok("TransactWriteItems", "{'TransactItems':[{'Put':{'TableName':'app','Item':{'leaseKey':{'S':'t'}}}},"
                + "{'Delete':{'TableName':'app','Key':{'leaseKey':{'S':'shardId-0'}}}}]}");
        a.ok("BatchWriteItem", "{'RequestItems':{'app':[{'PutRequest':{'Item':{'leaseKey':{'S':'x'}}}}]}}");
        assertThat(list(b.ok("Scan", "{'TableName':'app'}").get("Items")))
                .extracting(item -> attr(item, "leaseKey")).containsExactlyInAnyOrder("t", "x");
        assertThat(map(b.ok("DescribeTable", "{'TableName':'app'}").get("Table")).get("ItemCount")).isEqualTo(2L);

        a.ok("UpdateTable", "{'TableName':'app','DeletionProtectionEnabled':true}");
        assertThat(map(b.ok("DescribeTable", "{'TableName':'app'}").get("Table")))
                .containsEntry("DeletionProtectionEnabled", true);
        a.ok("UpdateTable", "{'TableName':'app','DeletionProtectionEnabled':false}");
        a.ok("DeleteTable", "{'TableName':'app'}");
        b.fails("DescribeTable", "{'TableName':'app'}", "ResourceNotFoundException");
        assertThat(list(b.ok("ListTables", "{}").get("TableNames"))).isEmpty();

        a.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        assertThat(list(b.ok("Scan", "{'TableName':'app'}").get("Items"))).as("a new table, empty").isEmpty();
        a.createLease("again", "w3", 1);
        assertThat(attr(b.getLease("again"), "leaseOwner")).isEqualTo("w3");
    }

    @Test
    void itemsOfNumberAndBinaryKeysAreDeletedOnTheFollowerToo() {
        a.ok("CreateTable", NUMBER_BINARY_TABLE);
        // 1.50 and 1.5 are one number: the store's key is the normalised one, and so must the follower's be.
        a.ok("PutItem", "{'TableName':'numbin','Item':{'n':{'N':'1.50'},'b':{'B':'AAE='},'v':{'S':'one'}}}");
        a.ok("PutItem", "{'TableName':'numbin','Item':{'n':{'N':'-7e3'},'b':{'B':'/+8='},'v':{'S':'two'}}}");
        assertThat(list(b.ok("Scan", "{'TableName':'numbin'}").get("Items"))).hasSize(2);
        a.ok("DeleteItem", "{'TableName':'numbin','Key':{'n':{'N':'1.5'},'b':{'B':'AAE='}}}");
        a.ok("DeleteItem", "{'TableName':'numbin','Key':{'n':{'N':'-7000'},'b':{'B':'/+8='}}}");
        assertThat(list(b.ok("Scan", "{'TableName':'numbin'}").get("Items"))).isEmpty();
    }

    @Test
    void aKeyDecodesFromTheTextItIsStoredUnder() {
        for (PrimaryKey k : List.of(new PrimaryKey(AttributeValue.s("a/b%2F c+é"), null),
                new PrimaryKey(AttributeValue.s("h"), AttributeValue.s("/")),
                new PrimaryKey(AttributeValue.n("-1.250"), AttributeValue.b(new byte[] {-1, 0, 63})))) {
            PrimaryKey back = PrimaryKey.decode(k.encode());
            assertThat(back.compareTo(k)).isZero();
            assertThat(back.encode()).isEqualTo(k.encode());
            assertThat(back.range() == null).isEqualTo(k.range() == null);
        }
        assertThat(PrimaryKey.decode("N1.25").hash().numeric()).isEqualByComparingTo("1.25");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PrimaryKey.decode("X1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFollowerStartedLaterLoadsEverythingAndKeepsFollowing() {
        a.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        a.createLease("before", "w1", 1);
        DynamoTesting late = new DynamoTesting(new DynamoApi(store, clock));
        assertThat(attr(late.getLease("before"), "leaseOwner")).isEqualTo("w1");
        a.createLease("after", "w1", 1);
        assertThat(attr(late.getLease("after"), "leaseOwner")).isEqualTo("w1");
    }

    @Test
    void commitsMadeWhileTablesLoadAreNotLost() {
        a.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        a.createLease("gone", "w1", 1);
        AtomicInteger scans = new AtomicInteger();
        MetadataStore racing = new ForwardingStore(store) {
            @Override
            public SortedMap<String, byte[]> scan(String prefix) {
                SortedMap<String, byte[]> found = super.scan(prefix);
                if (scans.getAndIncrement() == 0) {
                    a.createLease("during", "w1", 1);
                    a.ok("DeleteItem", "{'TableName':'app','Key':{'leaseKey':{'S':'gone'}}}");
                }
                return found;
            }
        };
        DynamoTesting c = new DynamoTesting(new DynamoApi(racing, clock));
        assertThat(c.getLease("during")).isNotNull();
        assertThat(c.getLease("gone")).isNull();
    }

    @Test
    void aLateOlderChangeNeverRegressesAnItemNorBringsBackADeletedOne() {
        DelayedFeedStore delayed = new DelayedFeedStore(store);
        DynamoTesting w = new DynamoTesting(new DynamoApi(delayed, clock));
        w.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        delayed.holding = true;
        w.createLease("k", "w1", 1);
        w.ok("UpdateItem", "{'TableName':'app','Key':{'leaseKey':{'S':'k'}},'UpdateExpression':'SET leaseOwner = :o',"
                + "'ExpressionAttributeValues':{':o':{'S':'w2'}}}");
        w.createLease("dropped", "w1", 1);
        w.ok("DeleteItem", "{'TableName':'app','Key':{'leaseKey':{'S':'dropped'}}}");
        delayed.releaseOne(); // k by w1: older than what memory holds
        assertThat(attr(w.getLease("k"), "leaseOwner")).as("not regressed").isEqualTo("w2");
        delayed.releaseOne();
        delayed.releaseOne(); // dropped, created
        assertThat(w.getLease("dropped")).as("not resurrected").isNull();
        delayed.releaseAll();
        assertThat(attr(w.getLease("k"), "leaseOwner")).isEqualTo("w2");
        assertThat(w.getLease("dropped")).isNull();

        // A table deleted and made anew: a late item of the old one, written by another node, stays out of the new.
        delayed.holding = true;
        store.commit(Map.of("dynamodb/app/item/" + new PrimaryKey(AttributeValue.s("old"), null).encode(),
                DynamoJson.itemBytes(Map.of("leaseKey", AttributeValue.s("old")))));
        w.ok("DeleteTable", "{'TableName':'app'}");
        w.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        delayed.releaseOne(); // old's item
        assertThat(w.getLease("old")).isNull();
        delayed.releaseOne(); // the deletion
        assertThat(list(w.ok("ListTables", "{}").get("TableNames"))).as("the new table stays").containsExactly("app");
        delayed.releaseAll();
        assertThat(list(w.ok("Scan", "{'TableName':'app'}").get("Items"))).isEmpty();
        w.createLease("new", "w1", 1);
        assertThat(w.getLease("new")).isNotNull();
    }

    @Test
    void concurrentRequestsOnTheWriterNeitherDeadlockNorLeaveTheFollowerBehind() {
        a.ok("CreateTable", DynamoTesting.LEASE_TABLE);
        a.ok("CreateTable", DynamoTesting.LEASE_TABLE.replace("'app'", "'app2'"));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            String key = "k" + (i % 10);
                            // Both tables in one transaction, in either order: they are locked in name order.
                            String first = thread % 2 == 0 ? "app" : "app2";
                            String second = thread % 2 == 0 ? "app2" : "app";
                            a.ok("TransactWriteItems", "{'TransactItems':[{'Put':{'TableName':'" + first
                                    + "','Item':{'leaseKey':{'S':'" + key + "'},'by':{'N':'" + thread + "'}}}},"
                                    + "{'Update':{'TableName':'" + second + "','Key':{'leaseKey':{'S':'" + key
                                    + "'}},'UpdateExpression':'ADD n :one',"
                                    + "'ExpressionAttributeValues':{':one':{'N':'1'}}}}]}");
                            if (i % 7 == 0) {
                                a.ok("DeleteItem", "{'TableName':'app','Key':{'leaseKey':{'S':'" + key + "'}}}");
                            }
                            b.ok("Scan", "{'TableName':'app2'}");
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        });
        for (String table : List.of("app", "app2")) {
            String scan = "{'TableName':'" + table + "'}";
            assertThat(b.ok("Scan", scan).get("Items")).as(table).isEqualTo(a.ok("Scan", scan).get("Items"));
        }
    }

    /** Every call goes to the store below. */
    private static class ForwardingStore implements MetadataStore {
        final MetadataStore delegate;

        ForwardingStore(MetadataStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<byte[]> get(String key) {
            return delegate.get(key);
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return delegate.scan(prefix);
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            return delegate.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            return delegate.commitIfVersion(expectedVersion, changes);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return delegate.onCommit(listener);
        }

        @Override
        public long version() {
            return delegate.version();
        }

        @Override
        public void close() {
        }
    }

    /** A store whose change feed can be held back and released one commit at a time, as a lagging tailer's is. */
    private static final class DelayedFeedStore extends ForwardingStore {
        private record Held(MetadataListener listener, long version, Map<String, byte[]> changes) {
        }

        final List<Held> held = new ArrayList<>();
        volatile boolean holding;

        DelayedFeedStore(MetadataStore delegate) {
            super(delegate);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return delegate.onCommit((version, changes) -> {
                synchronized (held) {
                    if (holding) {
                        held.add(new Held(listener, version, changes));
                        return;
                    }
                }
                listener.committed(version, changes);
            });
        }

        void releaseOne() {
            Held h;
            synchronized (held) {
                h = held.remove(0);
            }
            h.listener().committed(h.version(), h.changes());
        }

        void releaseAll() {
            while (true) {
                synchronized (held) {
                    if (held.isEmpty()) {
                        holding = false;
                        return;
                    }
                }
                releaseOne();
            }
        }
    }
}
