package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DeleteChannel: DELETING, then gone (DescribeChannel then answers ResourceNotFoundException). What was delivered
 * stays where it is; records not yet delivered are not.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DeleteChannel.html
 *
 * <p>Thread-safe.
 */
final class DeleteChannelHandler implements OperationHandler {
    private final ApiServices services;

    DeleteChannelHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        services.channels().delete(request.string("ChannelARN"));
    }
}
