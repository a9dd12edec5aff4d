package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * StartStreamEncryption: records KMS encryption with the given key; the stream passes through UPDATING. Records are
 * reported with {@code EncryptionType KMS} from then on; encryption at rest itself comes later.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html
 *
 * <p>Thread-safe.
 */
final class StartStreamEncryptionHandler implements OperationHandler {
    private final ApiServices services;

    StartStreamEncryptionHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        services.streams().update(name, true,
                s -> s.withEncryption(request.string("EncryptionType"), request.string("KeyId")));
    }
}
