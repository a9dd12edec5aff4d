package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DeleteStream: the stream goes to DELETING, then disappears with its records.
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
        services.streams().get(name);
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
