package dev.millrace.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;

/**
 * UpdateEventSourceMapping: changes the members Update's shape has (FunctionName, Enabled, BatchSize, FilterCriteria,
 * the batching, retry, age, bisection, window and response settings, DestinationConfig, KMSKeyArn, MetricsConfig);
 * members the shape lacks (EventSourceArn, StartingPosition, Tags, ...) are ignored, as AWS's deserializer ignores
 * them. The mapping goes to Enabling or Disabling when Enabled flips, else to Updating. Refused with
 * ResourceInUseException while it is Creating (Lambda's rule) or Deleting.
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
 *
 * <p>Thread-safe.
 */
final class UpdateEventSourceMappingHandler implements LambdaHandler {
    private final LambdaServices s;

    UpdateEventSourceMappingHandler(LambdaServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(Call call) {
        String uuid = LambdaServices.uuid(call.uuid());
        MappingInput in = MappingInput.read(call.body(), false);
        long nowMs = s.clock.millis();
        long read = s.store.version();
        EventSourceMapping old = s.existing(uuid);
        if (old.state() == MappingState.CREATING || old.state() == MappingState.DELETING) {
            throw LambdaException.inUse("The event source mapping " + uuid + " is " + old.state().text()
                    + "; it cannot be updated until that is done.");
        }
        in.checkForKinesis(nowMs);
        String functionArn = old.functionArn();
        if (in.functionName != null) {
            functionArn = s.existingFunction(in.functionName).arn(s.account);
        }
        if (in.destinationGiven) {
            s.checkDestination(in.onFailureDestination, old.eventSourceArn());
        }
        if (!functionArn.equals(old.functionArn())) {
            s.store.uuidOfPair(old.eventSourceArn(), functionArn).ifPresent(other -> {
                throw LambdaServices.duplicate(old.eventSourceArn(), in.functionName, other);
            });
        }
        MappingState state = MappingState.UPDATING;
        if (in.enabled != null && in.enabled != old.enabled()) {
            state = in.enabled ? MappingState.ENABLING : MappingState.DISABLING;
        }
        EventSourceMapping updated = in.applyTo(old, functionArn, state, nowMs);
        s.store.replace(read, old, updated);
        return MappingView.of(updated, s.mappingArn(uuid));
    }
}
