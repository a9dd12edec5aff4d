package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

/**
 * DeleteStream: the stream goes to DELETING, then disappears with its records. Refused while it has channels.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DeleteStream.html
 *
 * <p>Thread-safe.
 */
final class DeleteStreamHandler implements OperationHandler {
    private final ApiServices services;

    DeleteStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        StreamRecord s = services.streams().get(name);
        int channels = services.channels().ofStream(name, s.epochMs()).size();
        if (channels > 0) {
            // "A stream cannot be deleted while it has active channels" (DeleteChannel's reference); a FAILED or
            // DELETING channel counts too, until it is gone, so that none is left bound to a deleted stream.
            throw KinesisException.resourceInUse("Stream " + name + " under account "
                    + services.streams().account().id() + " has " + channels + " channel"
                    + (channels == 1 ? "" : "s") + "; delete them with DeleteChannel first.");
        }
        if (!services.consumers().list(name).isEmpty()) {
            if (!Boolean.TRUE.equals(request.bool("EnforceConsumerDeletion"))) {
                throw KinesisException.resourceInUse("Stream " + name + " under account "
                        + services.streams().account().id() + " has registered consumers; deregister them or set "
                        + "EnforceConsumerDeletion.");
            }
            services.consumers().deleteAll(name);
        }
        services.streams().delete(name);
        // A stream re-created under this name has the same ARN; it must not inherit the old policy.
        services.policies().deleteAllOf(services.streams().arn(name));
    }
}
