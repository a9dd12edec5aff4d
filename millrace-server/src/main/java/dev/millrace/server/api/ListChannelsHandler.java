package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * ListChannels: an empty list, since no channel can exist while channel delivery is not implemented
 * ({@link ChannelOperations}).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListChannels.html
 *
 * <p>Stateless, thread-safe.
 */
final class ListChannelsHandler implements OperationHandler {
    @Override
    public void handle(Struct request, WireWriter out) {
        out.startArray("ChannelSummaries").endArray();
    }
}
