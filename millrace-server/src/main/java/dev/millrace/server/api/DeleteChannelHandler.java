package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DeleteChannel: no channel exists while channel delivery is not implemented ({@link ChannelOperations}), so every
 * channel ARN is not found.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DeleteChannel.html
 *
 * <p>Stateless, thread-safe.
 */
final class DeleteChannelHandler implements OperationHandler {
    @Override
    public void handle(Struct request, WireWriter out) {
        throw ChannelOperations.notFound(request.string("ChannelARN"));
    }
}
