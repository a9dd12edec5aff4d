package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DeleteResourcePolicy: removes the stream's policy; a stream without one gives ResourceNotFoundException.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DeleteResourcePolicy.html
 *
 * <p>Thread-safe.
 */
final class DeleteResourcePolicyHandler implements OperationHandler {
    private final ApiServices services;

    DeleteResourcePolicyHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String arn = request.string("ResourceARN");
        ResourceArns.owner(services, arn);
        if (services.policies().get(arn).isEmpty()) {
            throw KinesisException.resourceNotFound("No resource policy found for resource ARN " + arn + ".");
        }
        services.policies().delete(arn);
    }
}
