package dev.millrace.cli;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.io.PrintStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * One {@code millrace tail}: every shard of a stream read by a few threads, a step (one batch) at a time per shard,
 * each shard only after its parents ({@link ShardLineage}), KPL records de-aggregated, printed in one
 * {@link RecordFormat}.
 * <ul>
 *   <li>Without follow, the shards are those listed at the start: a shard closed then is read to its end, an open one
 *   to the tip it had at the start ({@link StartFence}); then the run ends.</li>
 *   <li>With follow, a shard that ends hands over to its children, and the run goes on until {@code stop} completes
 *   (a signal) or the output is closed.</li>
 * </ul>
 *
 * <p>Thread-safe: shards' steps run on the pool, one step per shard at a time; printing is serialized.
 */
final class TailRun {
    /** The options of a run. {@code idleDelayMs}: the wait before asking a shard again when it had nothing. */
    record Settings(String stream, StartPosition from, boolean follow, RecordFormat format, boolean deaggregate,
                    long idleDelayMs, int threads) {
    }

    private final KinesisClient kinesis;
    private final Settings settings;
    private final BiFunction<String, StartPosition, ShardFeed> feeds;
    private final PrintStream out;
    private final ShardLineage lineage = new ShardLineage();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicLong printed = new AtomicLong();
    private final ScheduledExecutorService pool;
    /** The shards listed at the start: they begin at the --from position; children found later at their start. */
    private final java.util.Set<String> initialShards = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, StartFence> fences = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code feeds} opens a shard's feed at a position (polling or fan-out). */
    TailRun(KinesisClient kinesis, Settings settings, BiFunction<String, StartPosition, ShardFeed> feeds,
            PrintStream out) {
        this.kinesis = kinesis;
        this.settings = settings;
        this.feeds = feeds;
        this.out = out;
        this.pool = Executors.newScheduledThreadPool(settings.threads(), r -> {
            Thread t = new Thread(r, "millrace-tail");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs until every shard is done (without follow), {@code stop} completes, or a call fails, which is thrown.
     * Returns true if it ended by {@code stop}.
     */
    boolean run(CompletableFuture<?> stop) throws Exception {
        try {
            List<String> open = new ArrayList<>();
            for (Shard s : listShards()) {
                boolean isOpen = s.sequenceNumberRange().endingSequenceNumber() == null;
                if (settings.from().equals(StartPosition.LATEST) && !isOpen) {
                    lineage.addFinished(s.shardId());
                    continue;
                }
                lineage.add(s.shardId(), parents(s.parentShardId(), s.adjacentParentShardId()));
                initialShards.add(s.shardId());
                if (isOpen) {
                    open.add(s.shardId());
                }
            }
            if (!settings.follow()) {
                // All taken before any reading: together they mark "the data present when the tail started".
                for (String shardId : open) {
                    fences.put(shardId, new StartFence(kinesis, settings.stream(), shardId));
                }
            }
            startReady();
            if (lineage.allFinished()) {
                done.complete(null);
            }
            CompletableFuture.anyOf(done, stop).get();
            if (done.isCompletedExceptionally()) {
                done.get();
            }
            return !done.isDone();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            pool.shutdownNow();
            out.flush();
        }
    }

    /** Records printed so far (user records of KPL records counted one by one). */
    long printed() {
        return printed.get();
    }

    ShardLineage lineage() {
        return lineage;
    }

    private List<Shard> listShards() {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = kinesis.listShards(b -> b.streamName(settings.stream()));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            String token = page.nextToken();
            page = kinesis.listShards(b -> b.nextToken(token));
            shards.addAll(page.shards());
        }
        return shards;
    }

    private static List<String> parents(String... ids) {
        List<String> parents = new ArrayList<>();
        for (String id : ids) {
            if (id != null) {
                parents.add(id);
            }
        }
        return parents;
    }

    private void startReady() {
        for (String shardId : lineage.takeReady()) {
            // A child found later starts at its beginning: its parents, where --from applied, were read to the end.
            StartPosition from = initialShards.contains(shardId) ? settings.from() : StartPosition.TRIM_HORIZON;
            pool.execute(new ShardReader(shardId, feeds.apply(shardId, from), fences.get(shardId)));
        }
    }

    /** One shard's reading; its steps are scheduled one after the other, never two at once. */
    private final class ShardReader implements Runnable {
        private final String shardId;
        private final ShardFeed feed;
        private final StartFence fence;
        private BigInteger lastSequenceNumber;

        ShardReader(String shardId, ShardFeed feed, StartFence fence) {
            this.shardId = shardId;
            this.feed = feed;
            this.fence = fence;
        }

        @Override
        public void run() {
            if (done.isDone()) {
                return;
            }
            try {
                long delayMs = step();
                if (delayMs >= 0) {
                    pool.schedule(this, delayMs, TimeUnit.MILLISECONDS);
                }
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }

        /** One batch; returns the delay before the next step, or -1 when this shard is finished. */
        private long step() {
            ShardFeed.Batch batch = feed.next();
            if (batch == null || batch.throttled()) {
                return settings.idleDelayMs();
            }
            boolean passedStart = false;
            List<TailRecord> toPrint = new ArrayList<>();
            if (fence != null) {
                fence.check();
            }
            for (Record r : batch.records()) {
                if (fence != null && !fence.before(r.sequenceNumber())) {
                    passedStart = true;
                    break;
                }
                BigInteger sequenceNumber = new BigInteger(r.sequenceNumber());
                // A resubscription may start again at a record already shown; sequence numbers grow in a shard.
                if (lastSequenceNumber != null && sequenceNumber.compareTo(lastSequenceNumber) <= 0) {
                    continue;
                }
                lastSequenceNumber = sequenceNumber;
                addRecords(r, toPrint);
            }
            if (!print(toPrint)) {
                done.complete(null);
                return -1;
            }
            boolean finished = batch.ended() || (!settings.follow() && (passedStart || batch.atTip()));
            if (finished) {
                finish(batch.ended() ? batch.childShards() : List.of());
                return -1;
            }
            return batch.records().isEmpty() && batch.atTip() ? settings.idleDelayMs() : 0;
        }

        private void addRecords(Record r, List<TailRecord> toPrint) {
            byte[] data = r.data().asByteArrayUnsafe();
            List<KplAggregation.UserRecord> users = settings.deaggregate() ? KplAggregation.deaggregate(data) : null;
            if (users == null) {
                toPrint.add(new TailRecord(shardId, r.sequenceNumber(), null, r.partitionKey(), null,
                        r.approximateArrivalTimestamp(), data));
                return;
            }
            for (int i = 0; i < users.size(); i++) {
                KplAggregation.UserRecord u = users.get(i);
                toPrint.add(new TailRecord(shardId, r.sequenceNumber(), (long) i, u.partitionKey(),
                        u.explicitHashKey(), r.approximateArrivalTimestamp(), u.data()));
            }
        }

        private void finish(List<ChildShard> children) {
            feed.close();
            if (settings.follow()) {
                for (ChildShard child : children) {
                    lineage.add(child.shardId(), child.parentShards());
                }
            }
            lineage.finish(shardId);
            startReady();
            if (lineage.allFinished()) {
                done.complete(null);
            }
        }
    }

    /** Prints a batch at once, so that shards' batches never interleave; false if the output is closed. */
    private boolean print(List<TailRecord> records) {
        if (records.isEmpty()) {
            return !out.checkError();
        }
        synchronized (out) {
            for (TailRecord r : records) {
                out.print(settings.format().format(r));
            }
            out.flush();
            printed.addAndGet(records.size());
            return !out.checkError();
        }
    }
}
