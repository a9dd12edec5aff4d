package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

/**
 * UpdateStreamRecordDistributionStrategy: switches an on-demand stream between AUTO (records spread evenly over the
 * open shards, partition and explicit hash keys ignored) and USER_PARTITION_KEY (routing by key, the default). The
 * change applies to the next write, with no UPDATING phase ("takes effect immediately without downtime"); records
 * already written keep their shards. AUTO on a provisioned stream is an InvalidArgumentException; USER_PARTITION_KEY
 * there is what the stream already does, so it is accepted and changes nothing.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamRecordDistributionStrategy.html
 *
 * <p>Thread-safe.
 */
final class UpdateStreamRecordDistributionStrategyHandler implements OperationHandler {
    private final ApiServices services;

    UpdateStreamRecordDistributionStrategyHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        String strategy = request.string("RecordDistributionStrategy");
        services.streams().update(name, false, s -> {
            if (StreamRecord.AUTO.equals(strategy) && !"ON_DEMAND".equals(s.mode())) {
                throw autoNeedsOnDemand(name);
            }
            return s.withDistribution(strategy);
        });
    }

    static KinesisException autoNeedsOnDemand(String streamName) {
        return KinesisException.invalidArgument("The AUTO record distribution strategy is only supported for "
                + "streams in ON_DEMAND mode; stream " + streamName + " is PROVISIONED.");
    }
}
