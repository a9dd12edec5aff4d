package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * CreateChannel: the account's channel limit is 0 while channel delivery is not implemented
 * ({@link ChannelOperations}), so a valid request exceeds it, with a message that says so.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateChannel.html
 *
 * <p>Thread-safe.
 */
final class CreateChannelHandler implements OperationHandler {
    private final ApiServices services;

    CreateChannelHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        throw ChannelOperations.limitExceeded(services.streams().account());
    }
}
