package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.channels.ChannelRequest;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * CreateChannel: a channel that delivers one on-demand stream to an S3 bucket or an S3 Tables table, answered as
 * CREATING; it becomes ACTIVE (or FAILED, with the reason) once its destination was checked.
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
        ChannelRequest r = ChannelOperations.createRequest(request);
        ChannelOperations.checkTags(r.tags(), "create channel " + r.name());
        if (r.encryption() != null && !r.encryption().awsManaged()) {
            // As StartStreamEncryption's: with --kms-keys the key must exist and be enabled (KMSNotFoundException,
            // KMSDisabledException); without, any key is taken. The AWS managed key is refused by the registry.
            services.keys().key(r.encryption().keyId(), services.streams().account());
        }
        Channel c = services.channels().create(r);
        ChannelOperations.description(out, services.channels(), c);
    }
}
