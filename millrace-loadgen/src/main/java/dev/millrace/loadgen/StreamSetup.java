package dev.millrace.loadgen;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamDescription;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Streams and consumers for a run: creates the streams that are missing and waits for them to be ACTIVE, lists
 * their open shards, registers fan-out consumers and waits for them, and removes at the end what it created.
 * DescribeStream (not DescribeStreamSummary or ListShards) is used throughout because every emulator has it.
 *
 * <p>Not thread-safe; the run's main thread uses it.
 */
final class StreamSetup {
    private static final Logger log = LoggerFactory.getLogger(StreamSetup.class);
    private static final Duration ACTIVE_TIMEOUT = Duration.ofMinutes(5);
    private static final long POLL_MS = 100;

    private final KinesisAsyncClient control;

    StreamSetup(KinesisAsyncClient control) {
        this.control = control;
    }

    /**
     * One stream of the run.
     *
     * @param created whether this run created it (only then is it deleted at the end)
     *
     * <p>Immutable.
     */
    record Target(String name, String arn, List<String> shardIds, boolean created) {
    }

    /** Creates {@code name} with {@code shards} shards unless it exists; waits for ACTIVE; lists its open shards. */
    Target ensure(String name, int shards) {
        boolean created = false;
        if (describe(name) == null) {
            log.info("creating stream {} with {} shards", name, shards);
            join(control.createStream(b -> b.streamName(name).shardCount(shards)));
            created = true;
        }
        StreamDescription description = awaitActive(name);
        List<String> open = openShards(name, description);
        if (open.size() != shards) {
            log.warn("stream {} already existed with {} open shards, not {}; using them as they are", name,
                    open.size(), shards);
        }
        return new Target(name, description.streamARN(), open, created);
    }

    private StreamDescription describe(String name) {
        try {
            return join(control.describeStream(b -> b.streamName(name))).streamDescription();
        } catch (ResourceNotFoundException e) {
            return null;
        }
    }

    private StreamDescription awaitActive(String name) {
        long deadline = System.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        while (true) {
            StreamDescription d = describe(name);
            if (d != null && (d.streamStatus() == StreamStatus.ACTIVE || d.streamStatus() == StreamStatus.UPDATING)) {
                return d;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("stream " + name + " not ACTIVE after " + ACTIVE_TIMEOUT + " ("
                        + (d == null ? "not found" : d.streamStatusAsString()) + ")");
            }
            sleep(POLL_MS);
        }
    }

    /** Open shards (no ending sequence number), following DescribeStream's pages. */
    private List<String> openShards(String name, StreamDescription first) {
        List<String> open = new ArrayList<>();
        StreamDescription page = first;
        while (true) {
            for (Shard shard : page.shards()) {
                if (shard.sequenceNumberRange().endingSequenceNumber() == null) {
                    open.add(shard.shardId());
                }
            }
            if (!Boolean.TRUE.equals(page.hasMoreShards()) || page.shards().isEmpty()) {
                return open;
            }
            String last = page.shards().get(page.shards().size() - 1).shardId();
            DescribeStreamResponse next = join(control.describeStream(b -> b.streamName(name)
                    .exclusiveStartShardId(last)));
            page = next.streamDescription();
        }
    }

    /** Registers a fan-out consumer and waits for it to be ACTIVE; returns its ARN. */
    String registerConsumer(String streamArn, String consumerName) {
        String arn = join(control.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(consumerName)))
                .consumer().consumerARN();
        long deadline = System.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        while (true) {
            ConsumerStatus status = join(control.describeStreamConsumer(b -> b.consumerARN(arn)))
                    .consumerDescription().consumerStatus();
            if (status == ConsumerStatus.ACTIVE) {
                return arn;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("consumer " + arn + " not ACTIVE after " + ACTIVE_TIMEOUT);
            }
            sleep(POLL_MS);
        }
    }

    /**
     * Deregisters a consumer and waits until it is gone: until then the stream cannot be deleted (DeleteStream
     * refuses a stream with registered consumers unless told to enforce, which kinesalite does not know).
     */
    void deregisterConsumer(String consumerArn) {
        join(control.deregisterStreamConsumer(b -> b.consumerARN(consumerArn)));
        long deadline = System.nanoTime() + ACTIVE_TIMEOUT.toNanos();
        while (true) {
            try {
                join(control.describeStreamConsumer(b -> b.consumerARN(consumerArn)));
            } catch (ResourceNotFoundException e) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("consumer " + consumerArn + " still there " + ACTIVE_TIMEOUT
                        + " after DeregisterStreamConsumer");
            }
            sleep(POLL_MS);
        }
    }

    void delete(String name) {
        join(control.deleteStream(b -> b.streamName(name)));
    }

    /** Waits for an SDK call; its failure is thrown as it is, not wrapped. */
    static <T> T join(java.util.concurrent.CompletableFuture<T> call) {
        try {
            return call.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the stream", e);
        }
    }
}
