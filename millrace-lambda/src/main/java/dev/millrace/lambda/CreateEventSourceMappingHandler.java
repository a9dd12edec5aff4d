package dev.millrace.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * CreateEventSourceMapping for a Kinesis stream or stream consumer: checks the request (the model's constraints, then
 * Lambda's Kinesis rules, the function, the stream, the destination), fills Lambda's Kinesis defaults (BatchSize 100,
 * no batching window, ParallelizationFactor 1, infinite record age and retries, no bisection, no tumbling window,
 * enabled) and commits the mapping in state Creating, once per (source, function) pair: a second is AWS's
 * ResourceConflictException naming the first.
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
 *
 * <p>Thread-safe.
 */
final class CreateEventSourceMappingHandler implements LambdaHandler {
    static final int DEFAULT_BATCH_SIZE = 100;
    private final LambdaServices s;

    CreateEventSourceMappingHandler(LambdaServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(Call call) {
        // The version first: checks read after it are at that version or later, and a later one fails the commit
        // (a stream deleted between the check and the commit does not get a mapping).
        long read = s.store.version();
        MappingInput in = MappingInput.read(call.body(), true);
        String source = s.recognizedSource(in.eventSourceArn);
        long nowMs = s.clock.millis();
        in.checkForKinesis(nowMs);
        FunctionRef function = s.existingFunction(in.functionName);
        s.checkSourceExists(source);
        s.checkDestination(in.onFailureDestination, source);

        String functionArn = function.arn(s.account);
        s.store.uuidOfPair(source, functionArn).ifPresent(uuid -> {
            throw LambdaServices.duplicate(source, in.functionName, uuid);
        });
        if (s.store.count() >= s.maxMappings) {
            throw LambdaException.invalidParameter("This account's region has " + s.maxMappings + " event source "
                    + "mappings, the most Millrace keeps; delete one first.");
        }
        EventSourceMapping base = new EventSourceMapping(UUID.randomUUID().toString(), functionArn, source,
                in.startingPosition, in.startingPositionTimestampMs(), DEFAULT_BATCH_SIZE, 0, 1, -1, false, -1, 0,
                List.of(), List.of(), null, null, null, in.tags == null ? Map.of() : in.tags, true,
                MappingState.CREATING, EventSourceMapping.USER_ACTION, EventSourceMapping.NO_RECORDS_PROCESSED,
                nowMs);
        EventSourceMapping created = in.applyTo(base, functionArn, MappingState.CREATING, nowMs);
        s.store.create(read, created);
        return MappingView.of(created, s.mappingArn(created.uuid()));
    }
}
