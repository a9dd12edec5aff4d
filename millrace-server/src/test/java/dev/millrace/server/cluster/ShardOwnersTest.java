package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.Registration;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ShardOwnersTest {

    /** A node's view: itself and a fixed live set. */
    private static Cluster view(String self, List<String> live) {
        return new Cluster() {
            @Override
            public Node self() {
                return new Node(self, "http://" + self);
            }

            @Override
            public boolean isWriter() {
                return false;
            }

            @Override
            public Optional<Node> writer() {
                return Optional.empty();
            }

            @Override
            public List<Node> liveNodes() {
                return live.stream().map(id -> new Node(id, "http://" + id)).toList();
            }

            @Override
            public boolean awaitVersion(long version, long timeoutMs) {
                return true;
            }

            @Override
            public Registration onRoleChange(RoleListener listener) {
                return () -> { };
            }
        };
    }

    @Test
    void everyNodeNamesTheSameOwnerAndTheShardsSpreadEvenly() {
        List<String> live = List.of("a", "b", "c");
        List<ShardOwners> views = live.stream().map(id -> new ShardOwners(view(id, live))).toList();
        Map<String, Integer> owned = new HashMap<>();
        int shards = 3000;
        for (int i = 0; i < shards; i++) {
            String owner = views.get(0).ownerOf(Account.DEFAULT, "orders", 1_700_000_000_000L, i).id();
            for (ShardOwners v : views) {
                assertThat(v.ownerOf(Account.DEFAULT, "orders", 1_700_000_000_000L, i).id()).isEqualTo(owner);
            }
            owned.merge(owner, 1, Integer::sum);
        }
        assertThat(owned).containsOnlyKeys("a", "b", "c");
        // Each of three should get a third; rendezvous hashing with a good mix keeps them within a few per cent.
        owned.values().forEach(n -> assertThat(n).isBetween(shards * 28 / 100, shards * 39 / 100));
    }

    @Test
    void aNodeLeavingMovesOnlyItsOwnShardsAndAJoinTakesOnlyAShare() {
        ShardOwners three = new ShardOwners(view("a", List.of("a", "b", "c")));
        ShardOwners two = new ShardOwners(view("a", List.of("a", "c")));
        ShardOwners four = new ShardOwners(view("a", List.of("a", "b", "c", "d")));
        int moved = 0;
        for (int i = 0; i < 2000; i++) {
            String before = three.ownerOf(Account.DEFAULT.in("eu-west-1"), "s", 42, i).id();
            String after = two.ownerOf(Account.DEFAULT.in("eu-west-1"), "s", 42, i).id();
            if (!before.equals("b")) {
                assertThat(after).as("shard %d kept by its live owner", i).isEqualTo(before);
            }
            String joined = four.ownerOf(Account.DEFAULT.in("eu-west-1"), "s", 42, i).id();
            if (!joined.equals(before)) {
                assertThat(joined).as("a join only takes shards for the new node").isEqualTo("d");
                moved++;
            }
        }
        assertThat(moved).isBetween(2000 * 18 / 100, 2000 * 32 / 100);
    }

    @Test
    void anotherIncarnationRegionOrAccountIsAnotherShard() {
        ShardOwners owners = new ShardOwners(view("a", List.of("a", "b", "c", "d", "e")));
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            if (!owners.ownerOf(Account.DEFAULT, "s", 1, i).equals(owners.ownerOf(Account.DEFAULT, "s", 2, i))) {
                differ++;
            }
            if (!owners.ownerOf(Account.DEFAULT, "s", 1, i).equals(owners.ownerOf(Account.DEFAULT.in("us-west-2"),
                    "s", 1, i))) {
                differ++;
            }
            if (!owners.ownerOf(Account.DEFAULT, "s", 1, i).equals(owners.ownerOf(new Account("us-east-1",
                    "111122223333"), "s", 1, i))) {
                differ++;
            }
        }
        assertThat(differ).isGreaterThan(300);
    }

    @Test
    void aNodeThatSeesNoOneElseOwnsEverything() {
        ShardOwners alone = new ShardOwners(view("solo", List.of()));
        assertThat(alone.ownerOf(Account.DEFAULT, "s", 1, 0).id()).isEqualTo("solo");
        assertThat(alone.isSelf(alone.ownerOf(Account.DEFAULT, "s", 1, 7))).isTrue();
    }
}
