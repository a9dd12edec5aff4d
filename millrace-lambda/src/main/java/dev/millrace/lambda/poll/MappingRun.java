package dev.millrace.lambda.poll;

import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.lambda.filter.EventFilter;
import dev.millrace.lambda.invoke.BatchContext;
import dev.millrace.lambda.invoke.FunctionInvoker;
import dev.millrace.lambda.invoke.InvokeOutcome;
import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingStore;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the workers of one mapping (at one version of its settings) share: the settings, the compiled filter, the
 * function's URL, the engine's services. Rebuilt, with new workers, when the mapping's settings change.
 *
 * <p>Thread-safe: immutable but for the last processing result, which is only ever replaced.
 */
final class MappingRun {

    private static final Logger LOG = LoggerFactory.getLogger(MappingRun.class);

    /** Services of the engine the workers use. */
    record Services(MappingStore store, MappingCheckpoints checkpoints, FunctionInvoker invoker,
                    FailureDestinations failures, MappingListener listener, Executor invocations,
                    ScheduledExecutorService retryTimer, TickWakeup.PollThread pollThread, ReadBudget readBudget,
                    Clock clock, Duration invocationTimeout, long backoffBaseMs, long backoffMaxMs, String region,
                    String accountId, BooleanSupplier active) {
    }

    /** Which shards of the mapping are done (closed, every record ended), for a child's start. */
    @FunctionalInterface
    interface ParentCheck {
        boolean parentsDone(Shard shard);
    }

    private final EventSourceMapping mapping;
    private final EventFilter filter;
    private final URI url;
    private final String streamArn;
    private final Services services;
    private final ParentCheck parents;
    private final BatchRun.Policy policy;
    private volatile String lastResult;

    MappingRun(EventSourceMapping mapping, URI url, String streamArn, Services services, ParentCheck parents) {
        this.mapping = mapping;
        this.filter = EventFilter.compile(mapping.filterPatterns());
        this.url = url;
        this.streamArn = streamArn;
        this.services = services;
        this.parents = parents;
        this.policy = new BatchRun.Policy(mapping.maximumRetryAttempts(),
                mapping.maximumRecordAgeSeconds() < 0 ? -1 : mapping.maximumRecordAgeSeconds() * 1000L,
                mapping.bisectBatchOnFunctionError(), services.backoffBaseMs(), services.backoffMaxMs());
        this.lastResult = mapping.lastProcessingResult();
    }

    EventSourceMapping mapping() {
        return mapping;
    }

    EventFilter filter() {
        return filter;
    }

    BatchRun.Policy policy() {
        return policy;
    }

    MappingCheckpoints checkpoints() {
        return services.checkpoints();
    }

    FailureDestinations failures() {
        return services.failures();
    }

    MappingListener listener() {
        return services.listener();
    }

    Clock clock() {
        return services.clock();
    }

    ReadBudget readBudget() {
        return services.readBudget();
    }

    BatchContext context(String shardId) {
        return new BatchContext(shardId, streamArn, services.region(),
                BatchContext.defaultInvokeIdentityArn(services.accountId(), mapping.functionName()));
    }

    boolean parentsDone(Shard shard) {
        return parents.parentsDone(shard);
    }

    void submit(Runnable batch) {
        services.invocations().execute(batch);
    }

    /**
     * Runs {@code step} on the invocation pool after {@code delayMs}: a batch waiting out a retry's backoff holds no
     * thread, so one mapping failing at length does not starve the others of invocation threads.
     */
    ScheduledFuture<?> submitLater(Runnable step, long delayMs) {
        return services.retryTimer().schedule(() -> services.invocations().execute(step), delayMs,
                TimeUnit.MILLISECONDS);
    }

    /**
     * A worker's wake-ups: {@code tick} runs on the engine's poll thread ({@link TickWakeup}), only while the engine
     * is active (a node that is no longer the metadata writer hands out no batch between its polls, while the new
     * writer's workers start on the same shards).
     */
    TickWakeup wakeup(Runnable tick) {
        return new TickWakeup(services.pollThread(), () -> {
            if (services.active().getAsBoolean()) {
                tick.run();
            }
        });
    }

    InvokeOutcome invoke(byte[] event) {
        return services.invoker().invoke(url, event, services.invocationTimeout());
    }

    /** LastProcessingResult after a batch: committed only when it changes (the store skips equal values too). */
    void processingResult(String result) {
        if (result.equals(lastResult)) {
            return;
        }
        lastResult = result;
        try {
            services.store().recordProcessingResult(mapping.uuid(), result);
        } catch (RuntimeException e) {
            // A status line is not worth failing a batch over; the next change tries again.
            LOG.debug("Cannot record the processing result of event source mapping {}: {}", mapping.uuid(),
                    e.toString());
            lastResult = null;
        }
    }

    void problem(String detail) {
        processingResult("PROBLEM: " + detail);
    }
}
