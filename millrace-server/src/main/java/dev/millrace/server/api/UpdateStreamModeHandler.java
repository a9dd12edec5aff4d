package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * UpdateStreamMode: switches a stream between PROVISIONED and ON_DEMAND; it passes through UPDATING. Shards stay as
 * they are; split, merge and UpdateShardCount are refused while a stream is on-demand. A switch to ON_DEMAND beyond the
 * account's on-demand stream quota is LimitExceededException (StreamRegistry#checkOnDemandStreamLimit).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamMode.html
 *
 * <p>Thread-safe.
 */
final class UpdateStreamModeHandler implements OperationHandler {
    private final ApiServices services;

    UpdateStreamModeHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        String mode = request.struct("StreamModeDetails").string("StreamMode");
        services.streams().update(name, true, s -> {
            if ("PROVISIONED".equals(mode) && s.autoDistribution()) {
                // A provisioned stream cannot use AUTO (UpdateStreamRecordDistributionStrategy's reference); rather
                // than silently changing how records are placed, ask for the strategy to be switched first.
                throw KinesisException.invalidArgument("Stream " + name + " uses the AUTO record distribution "
                        + "strategy, which PROVISIONED mode does not support. Switch it to USER_PARTITION_KEY with "
                        + "UpdateStreamRecordDistributionStrategy first.");
            }
            if ("ON_DEMAND".equals(mode) && !"ON_DEMAND".equals(s.mode())) {
                services.streams().checkOnDemandStreamLimit();
            }
            return s.withMode(mode);
        });
    }
}
