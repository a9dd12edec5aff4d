package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateChannel: changes DataFreshnessInSeconds (in the block matching the channel's destination) and the logging
 * configuration, nothing else; the channel is UPDATING, then ACTIVE again.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateChannel.html
 *
 * <p>Thread-safe.
 */
final class UpdateChannelHandler implements OperationHandler {
    private final ApiServices services;

    UpdateChannelHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        Struct s3 = request.struct("S3DestinationConfiguration");
        Struct tables = request.struct("S3TablesDestinationConfiguration");
        Channel c = services.channels().update(request.string("ChannelARN"),
                s3 == null ? null : s3.integer("DataFreshnessInSeconds"),
                tables == null ? null : tables.integer("DataFreshnessInSeconds"),
                ChannelOperations.logging(request.struct("LoggingConfiguration")));
        ChannelOperations.description(out, services.channels(), c);
    }
}
