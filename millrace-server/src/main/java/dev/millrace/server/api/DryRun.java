package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.state.StreamRecord;

/**
 * The {@code DryRun} member of the data-plane operations (PutRecord, PutRecords, GetRecords, GetShardIterator,
 * SubscribeToShard): the request is checked as if it were run - its input, the stream, shard, iterator or consumer it
 * names - and then, instead of writing, reading or subscribing, answered with {@code DryRunOperationException}
 * (HTTP 400), which is how AWS says "this would have succeeded". Any failed check answers as the real call would.
 * Dry runs spend no throughput allowance; AWS limits them to one per second per stream, across the five operations,
 * with a ThrottlingException (https://docs.aws.amazon.com/streams/latest/dev/kds-dryrun-validation.html).
 *
 * <p>Stateless, thread-safe.
 */
final class DryRun {
    static final String MESSAGE = "Request would have succeeded, but DryRun flag is set.";

    private DryRun() {
    }

    /** Whether the request asks for a dry run (which is not a call: the metrics do not count it). */
    static boolean requested(Struct request) {
        return Boolean.TRUE.equals(request.bool("DryRun"));
    }

    /** Call once every check has passed and before anything changes: returns only if no dry run was asked for. */
    static void stopIfRequested(Struct request, ApiServices services, StreamRecord stream) {
        if (!requested(request)) {
            return;
        }
        services.throttles().checkDryRun(services.streams(), stream);
        throw KinesisException.client("DryRunOperationException", MESSAGE);
    }
}
