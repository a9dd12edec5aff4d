package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateMaxRecordSize: the largest record (data plus partition key) the stream accepts, 1024 to 10240 KiB; enforced
 * by PutRecord and PutRecords. The stream passes through UPDATING.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateMaxRecordSize.html
 *
 * <p>Thread-safe.
 */
final class UpdateMaxRecordSizeHandler implements OperationHandler {
    private final ApiServices services;

    UpdateMaxRecordSizeHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int kib = request.integer("MaxRecordSizeInKiB");
        services.streams().update(name, true, s -> s.withMaxRecordSizeKiB(kib));
    }
}
