package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * StopStreamEncryption: back to {@code EncryptionType NONE}; the stream passes through UPDATING.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StopStreamEncryption.html
 *
 * <p>Thread-safe.
 */
final class StopStreamEncryptionHandler implements OperationHandler {
    private final ApiServices services;

    StopStreamEncryptionHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        StartStreamEncryptionHandler.requireKms(request.string("EncryptionType"));
        services.streams().update(name, true, s -> s.withEncryption("NONE", null));
    }
}
