package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

/**
 * UpdateStreamWarmThroughput: the write throughput an on-demand stream should be ready for. Recorded and reported;
 * pre-splitting to it arrives with on-demand scaling.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateStreamWarmThroughput.html
 *
 * <p>Thread-safe.
 */
final class UpdateStreamWarmThroughputHandler implements OperationHandler {
    private final ApiServices services;

    UpdateStreamWarmThroughputHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        int mibps = request.integer("WarmThroughputMiBps");
        StreamRecord updated = services.streams().update(name, true, s -> {
            if (!"ON_DEMAND".equals(s.mode())) {
                throw KinesisException.invalidArgument("Warm throughput can only be set on a stream in ON_DEMAND "
                        + "mode; stream " + name + " is PROVISIONED.");
            }
            return s.withWarmThroughputMiBps(mibps);
        });
        out.string("StreamARN", services.streams().arn(name)).string("StreamName", name)
                .startObject("WarmThroughput")
                .number("TargetMiBps", mibps)
                .number("CurrentMiBps", updated.openShards().size())
                .endObject();
    }
}
