package dev.millrace.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;

/**
 * DeleteEventSourceMapping: puts the mapping in state Deleting and answers it so; the engine stops its work and then
 * removes it ({@link dev.millrace.lambda.mapping.MappingStore#settle}), which AWS's "might not be completely deleted
 * for several seconds" allows. Deleting a Deleting mapping answers it again (the operation is idempotent in the
 * model). Refused with ResourceInUseException while an update is under way (Updating, Enabling, Disabling), Lambda's
 * rule for Updating, which Enabling and Disabling are kinds of.
 * https://docs.aws.amazon.com/lambda/latest/api/API_DeleteEventSourceMapping.html
 *
 * <p>Thread-safe.
 */
final class DeleteEventSourceMappingHandler implements LambdaHandler {
    private final LambdaServices s;

    DeleteEventSourceMappingHandler(LambdaServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(Call call) {
        String uuid = LambdaServices.uuid(call.uuid());
        long read = s.store.version();
        EventSourceMapping old = s.existing(uuid);
        switch (old.state()) {
            case DELETING:
                return MappingView.of(old, s.mappingArn(uuid));
            case UPDATING:
            case ENABLING:
            case DISABLING:
                throw LambdaException.inUse("The event source mapping " + uuid + " is " + old.state().text()
                        + "; it cannot be deleted until that is done.");
            default:
                EventSourceMapping deleting = old.withState(MappingState.DELETING, s.clock.millis());
                s.store.replace(read, old, deleting);
                return MappingView.of(deleting, s.mappingArn(uuid));
        }
    }
}
