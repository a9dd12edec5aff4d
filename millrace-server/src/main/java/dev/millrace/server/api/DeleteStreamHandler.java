package dev.millrace.server.api;

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
        services.streams().delete(StreamRefs.name(request, services.streams().account()));
    }
}
