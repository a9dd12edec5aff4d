package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * StartStreamEncryption: records KMS encryption (the only type it takes) with the given key, or a new key for an
 * encrypted stream; the stream passes through UPDATING. Records are
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
        requireKms(request.string("EncryptionType"));
        services.streams().update(name, true, s -> s.withEncryption("KMS", request.string("KeyId")));
    }

    /** {@code KMS} is the only valid {@code EncryptionType} of Start- and StopStreamEncryption (API reference). */
    static void requireKms(String encryptionType) {
        if (!"KMS".equals(encryptionType)) {
            throw KinesisException.invalidArgument("Invalid EncryptionType " + encryptionType
                    + ". The only valid value is KMS.");
        }
    }
}
