package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * StartStreamEncryption: encrypts the stream's records at rest from now on with the given KMS key (of the server's
 * {@code --kms-keys} file), or moves an encrypted stream to a new key; the stream passes through UPDATING. Records
 * written before stay as they were and stay readable; each is reported with the {@code EncryptionType} it was
 * written with.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html
 *
 * <p>Thread-safe.
 */
final class StartStreamEncryptionHandler implements OperationHandler {
    private static final Logger log = LoggerFactory.getLogger(StartStreamEncryptionHandler.class);
    /** The warning about encryption without a key file is logged once per process. */
    private static final AtomicBoolean NOTED = new AtomicBoolean();
    private final ApiServices services;

    StartStreamEncryptionHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        requireKms(request.string("EncryptionType"));
        services.streams().get(name); // a stream that does not exist is that, before anything about its key
        // The key must be usable now (KMSNotFoundException, KMSDisabledException); the stream keeps the KeyId as the
        // request gave it, as AWS reports it.
        services.keys().key(request.string("KeyId"), services.streams().account());
        if (!services.keys().atRest() && NOTED.compareAndSet(false, true)) {
            log.warn("StartStreamEncryption on stream {}: without --kms-keys the stream is reported encrypted, as "
                    + "on AWS, but its records are not encrypted at rest", name);
        }
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
