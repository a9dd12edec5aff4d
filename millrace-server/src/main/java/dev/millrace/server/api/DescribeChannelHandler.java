package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * DescribeChannel: the channel with AWS's defaults filled in, its status and, when FAILED, the reason.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeChannel.html
 *
 * <p>Thread-safe.
 */
final class DescribeChannelHandler implements OperationHandler {
    private final ApiServices services;

    DescribeChannelHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        ChannelOperations.description(out, services.channels(),
                services.channels().describe(request.string("ChannelARN")));
    }
}
