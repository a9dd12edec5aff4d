package dev.millrace.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The order shards may be read in: a split's children after their parent, a merge's child after both parents. */
class ShardLineageTest {
    @Test
    void childrenBecomeReadyOnlyWhenAllTheirParentsAreFinished() {
        ShardLineage lineage = new ShardLineage();
        lineage.add("0", List.of());
        lineage.add("1", List.of("0"));
        lineage.add("2", List.of("0"));
        lineage.add("3", List.of("1", "2"));
        lineage.add("4", List.of("expired"));

        assertThat(lineage.takeReady()).as("roots, and a shard whose parent is unknown").containsExactly("0", "4");
        assertThat(lineage.takeReady()).as("each returned once").isEmpty();
        lineage.finish("0");
        assertThat(lineage.takeReady()).containsExactly("1", "2");
        lineage.finish("1");
        assertThat(lineage.takeReady()).as("the merge waits for its other parent").isEmpty();
        assertThat(lineage.allFinished()).isFalse();
        lineage.finish("2");
        assertThat(lineage.takeReady()).containsExactly("3");
        lineage.finish("3");
        lineage.finish("4");
        assertThat(lineage.allFinished()).isTrue();
        assertThat(lineage.finishedCount()).isEqualTo(5);
    }

    @Test
    void aShardAddedAsFinishedReleasesItsChildrenAndAddingTwiceChangesNothing() {
        ShardLineage lineage = new ShardLineage();
        lineage.addFinished("old");
        lineage.add("child", List.of("old"));
        lineage.add("child", List.of("something-else"));
        assertThat(lineage.takeReady()).containsExactly("child");
    }

    @Test
    void aShardWhoseParentIsStillBeingReadWaits() {
        ShardLineage lineage = new ShardLineage();
        lineage.add("p", List.of());
        assertThat(lineage.takeReady()).containsExactly("p");
        lineage.add("c", List.of("p"));
        assertThat(lineage.takeReady()).isEmpty();
        lineage.finish("p");
        assertThat(lineage.takeReady()).containsExactly("c");
    }
}
