package dev.millrace.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.nio.file.Path;

/**
 * The KCL scenarios that disturb two running workers, all at once, each on a server and directory of its own
 * (as {@link KclTwoWorkersTest} runs its two): a shard split ({@link KclSplitScenario}), a server restart
 * ({@link KclRestartScenario}) and a worker killed with SIGKILL ({@link KclFailoverScenario}). Most of each is waiting
 * (a KCL worker that finds its lease table empty sleeps 1 to 30 s, at random, before it makes the leases; leases
 * expire on KCL's timers), which the three spend together: in one class they take about as long as the slowest,
 * where three classes took the sum. junit-platform.properties lets three run at once on any number of cores.
 *
 * <p>Thread-safe as JUnit uses it: the scenarios share no state (their streams, journals and servers are their own).
 */
@Tag("solo") // runs alone: see millrace-it/pom.xml
@Execution(ExecutionMode.CONCURRENT)
class KclDisruptionsTest {
    static {
        // While a server is down (the restart), the SDK's Netty client warns with a stack trace about every
        // connection that fails before HTTP/2 is set up: hundreds of them, all expected. Set before any client of
        // this JVM makes its loggers, which the scenarios running at once may do first. KCL's own errors stay.
        System.setProperty("org.slf4j.simpleLogger.log.io.netty.channel.DefaultChannelPipeline", "error");
    }

    @Test
    void childrenAreProcessedOnlyAfterTheirParentEnded(@TempDir Path dir) throws Exception {
        KclSplitScenario.childrenAreProcessedOnlyAfterTheirParentEnded(dir);
    }

    @Test
    void workersResumeFromTheirCheckpointsAfterARestart(@TempDir Path dir) throws Exception {
        KclRestartScenario.workersResumeFromTheirCheckpointsAfterARestart(dir);
    }

    @Test
    void theSurvivorTakesTheKilledWorkersLeasesAndFinishes(@TempDir Path dir) throws Exception {
        KclFailoverScenario.theSurvivorTakesTheKilledWorkersLeasesAndFinishes(dir);
    }
}
