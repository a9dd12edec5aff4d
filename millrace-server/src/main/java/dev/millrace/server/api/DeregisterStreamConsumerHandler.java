package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DeregisterStreamConsumer: the consumer goes to DELETING, then disappears; its subscriptions end.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DeregisterStreamConsumer.html
 *
 * <p>Thread-safe.
 */
final class DeregisterStreamConsumerHandler implements OperationHandler {
    private final ApiServices services;

    DeregisterStreamConsumerHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        services.consumers().deregister(ConsumerRefs.find(services, request));
    }
}
