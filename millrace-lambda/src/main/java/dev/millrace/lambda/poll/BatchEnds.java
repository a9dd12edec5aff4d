package dev.millrace.lambda.poll;

import dev.millrace.lambda.failure.InvocationRecord;
import dev.millrace.lambda.failure.InvocationRecord.Condition;
import dev.millrace.lambda.failure.InvocationRecord.ResponseContext;
import dev.millrace.lambda.failure.KinesisBatchInfo;
import dev.millrace.lambda.invoke.EventRecord;
import dev.millrace.lambda.invoke.KinesisEventWriter;
import dev.millrace.lambda.poll.BatchRun.FunctionFailure;
import dev.millrace.lambda.poll.ShardWorker.Pending;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener of a {@link ShardWorker}'s batch's ends: processed records end; discarded ones end once their
 * invocation record is sent. A destination that refuses keeps the batch where it is: the same record is sent again
 * after a backoff (the batch holds no thread meanwhile), the function is not invoked again for it, and the shard goes
 * on only once it is stored. One per batch.
 *
 * <p>Not thread-safe: a batch's steps run one after another (on invocation threads, never two at once).
 */
final class BatchEnds implements BatchRun.Listener<Pending> {

    private static final Logger LOG = LoggerFactory.getLogger(BatchEnds.class);

    private final MappingRun run;
    private final KinesisEventWriter writer;
    private final String shardId;
    /** Whether the worker still runs. */
    private final BooleanSupplier running;
    /** Ends records in the worker's lanes. */
    private final Consumer<List<Pending>> end;
    /** The invocation record of the discard being sent, kept across refusals, and the records it is for. */
    private List<Pending> sending;
    private InvocationRecord record;
    private byte[] payload;

    BatchEnds(MappingRun run, KinesisEventWriter writer, String shardId, BooleanSupplier running,
              Consumer<List<Pending>> end) {
        this.run = run;
        this.writer = writer;
        this.shardId = shardId;
        this.running = running;
        this.end = end;
    }

    @Override
    public void processed(List<Pending> records) {
        end.accept(records);
    }

    @Override
    public boolean discarded(List<Pending> records, Condition condition, int invocations,
                             FunctionFailure lastFailure) {
        if (!running.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            // Stopping: no send and no append from a thread that may be interrupted; the records stay for the
            // next worker (which invokes them again: the record kept here is not stored).
            return false;
        }
        String destination = run.mapping().onFailureDestination();
        if (destination != null) {
            if (sending != records) {
                List<EventRecord> events = records.stream().map(Pending::event).toList();
                ResponseContext response = condition == Condition.RECORD_AGE_EXCEEDED || lastFailure == null
                        ? null : lastFailure.response();
                record = run.failures().records().record(run.mapping().functionArn(), condition, invocations,
                        response, KinesisBatchInfo.of(shardId, writer.context().streamArn(), events));
                payload = writer.write(events, null);
                sending = records;
            }
            try {
                run.failures().send(run.mapping().uuid(), destination, record, payload);
            } catch (RuntimeException e) {
                // Every refused attempt counts, as AWS's DestinationDeliveryFailures ("the number of times that
                // Lambda attempts to send an event to a destination but fails").
                run.listener().destinationDeliveryFailed(run.mapping(), records.size());
                LOG.warn("Event source mapping {} shard {}: the OnFailure destination {} refused the invocation "
                        + "record of {} discarded records: {}; sent again after a backoff", run.mapping().uuid(),
                        shardId, destination, records.size(), e.toString());
                run.problem("OnFailure destination " + destination + " refused the invocation record: "
                        + e.getMessage());
                return false;
            }
            sending = null;
        }
        LOG.info("Event source mapping {} shard {}: {} records discarded ({}, {} invocations){}",
                run.mapping().uuid(), shardId, records.size(), condition.awsName(), invocations,
                destination != null ? ", invocation record sent to " + destination : "");
        run.listener().dropped(run.mapping(), records.size(), destination != null);
        end.accept(records);
        return true;
    }
}
