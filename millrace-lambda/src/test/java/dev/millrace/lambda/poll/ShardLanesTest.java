package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardLanesTest {

    @Test
    void theCheckpointStaysBeforeTheOldestRecordNotEndedWhateverTheLanesFinish() {
        ShardLanes lanes = new ShardLanes(3, 10);
        assertThat(lanes.checkpoint()).isEqualTo(10);
        for (long p = 10; p < 15; p++) {
            lanes.taken(p);
        }
        assertThat(lanes.checkpoint()).isEqualTo(10);
        lanes.ended(12);
        lanes.ended(13);
        assertThat(lanes.checkpoint()).isEqualTo(10);
        lanes.ended(10);
        assertThat(lanes.checkpoint()).isEqualTo(11);
        lanes.ended(11);
        assertThat(lanes.checkpoint()).isEqualTo(14);
        lanes.ended(14);
        assertThat(lanes.checkpoint()).isEqualTo(15);
        assertThat(lanes.inFlight()).isZero();
    }

    @Test
    void passingFilteredRecordsMovesTheCheckpointOnlyWhenNothingOlderIsInFlight() {
        ShardLanes lanes = new ShardLanes(1, 0);
        lanes.taken(0);
        lanes.passed(5);
        assertThat(lanes.checkpoint()).isZero();
        lanes.ended(0);
        assertThat(lanes.checkpoint()).isEqualTo(5);
        lanes.taken(7);
        assertThat(lanes.checkpoint()).isEqualTo(7);
        assertThatThrownBy(() -> lanes.taken(6)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyAlwaysHasOneLaneAndKeysSpreadOverAllLanes() {
        ShardLanes lanes = new ShardLanes(10, 0);
        Map<Integer, Integer> perLane = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            String key = "key-" + i;
            int lane = lanes.laneOf(key);
            assertThat(lane).isBetween(0, 9).isEqualTo(new ShardLanes(10, 5).laneOf(key));
            perLane.merge(lane, 1, Integer::sum);
        }
        assertThat(perLane).hasSize(10).allSatisfy((lane, count) -> assertThat(count).isBetween(800, 1200));
        assertThat(new ShardLanes(1, 0).laneOf("anything")).isZero();
        assertThat(lanes.laneOf(null)).isZero();
    }
}
