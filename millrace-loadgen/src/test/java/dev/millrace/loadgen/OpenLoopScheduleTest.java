package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The open-loop arithmetic: intended send times at a fixed rate, no drift over long runs, and how many requests are
 * due at a given moment.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class OpenLoopScheduleTest {
    @Test
    void shouldSpaceRequestsEvenlyFromTheStart() {
        OpenLoopSchedule schedule = new OpenLoopSchedule(5_000, 1_000);
        assertThat(schedule.intendedNanos(0)).isEqualTo(5_000);
        assertThat(schedule.intendedNanos(1)).isEqualTo(5_000 + 1_000_000);
        assertThat(schedule.intendedNanos(1_000)).isEqualTo(5_000 + 1_000_000_000L);
    }

    @Test
    void shouldNotDriftAtARateThatDoesNotDivideASecond() {
        // 3 requests/s: a period of 333,333,333.33 ns; adding rounded periods would lose 1 ns every 3 requests.
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 3);
        assertThat(schedule.intendedNanos(3)).isEqualTo(1_000_000_000L);
        assertThat(schedule.intendedNanos(3 * 86_400)).isEqualTo(86_400_000_000_000L);
        assertThat(schedule.intendedNanos(1)).isEqualTo(333_333_333L);
        assertThat(schedule.intendedNanos(2)).isEqualTo(666_666_667L);
    }

    @Test
    void shouldKeepTheIntendedTimeOfALateRequest() {
        // A stall does not move the schedule: the request due at 10 ms is still due at 10 ms, however late it goes.
        OpenLoopSchedule schedule = new OpenLoopSchedule(0, 100);
        long afterAStallOfOneSecond = 1_000_000_000L;
        assertThat(schedule.dueBy(afterAStallOfOneSecond)).isEqualTo(101);
        assertThat(schedule.intendedNanos(1)).isEqualTo(10_000_000L);
    }

    @Test
    void dueByShouldAgreeWithIntendedTimes() {
        SplittableRandom random = new SplittableRandom(7);
        for (double rate : new double[] {1, 3, 7.5, 999.9, 1_000, 33_333, 1_000_000}) {
            OpenLoopSchedule schedule = new OpenLoopSchedule(123_456_789L, rate);
            for (int i = 0; i < 2_000; i++) {
                long now = 123_456_789L + random.nextLong(10_000_000_000L);
                long due = schedule.dueBy(now);
                assertThat(schedule.intendedNanos(due - 1)).as("rate %s now %d", rate, now).isLessThanOrEqualTo(now);
                assertThat(schedule.intendedNanos(due)).as("rate %s now %d", rate, now).isGreaterThan(now);
            }
            assertThat(schedule.dueBy(123_456_788L)).isZero();
            assertThat(schedule.dueBy(123_456_789L)).isEqualTo(1);
        }
    }

    @Test
    void shouldRejectRatesThatAreNotPositiveAndFinite() {
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OpenLoopSchedule(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OpenLoopSchedule(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OpenLoopSchedule(0, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
