package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.time.Instant;

/**
 * DescribeStreamSummary: the stream without its shard list.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
 *
 * <p>Thread-safe.
 */
final class DescribeStreamSummaryHandler implements OperationHandler {
    private final ApiServices services;

    DescribeStreamSummaryHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = services.streams().get(StreamRefs.name(request, services.streams().account()));
        out.startObject("StreamDescriptionSummary")
                .string("StreamName", s.name())
                .string("StreamARN", services.streams().arn(s.name()))
                .string("StreamStatus", s.status().name());
        ShardOutput.streamMode(out, s);
        out.number("RetentionPeriodHours", s.retentionHours())
                .timestamp("StreamCreationTimestamp", Instant.ofEpochMilli(s.epochMs()));
        ShardOutput.enhancedMonitoring(out, s);
        out.string("EncryptionType", s.encryptionType())
                .string("KeyId", s.keyId())
                .number("OpenShardCount", s.openShards().size())
                .number("ConsumerCount", services.consumers().list(s.name()).size());
        // Only on-demand streams have a warm throughput (API reference, WarmThroughputObject); a stream switched to
        // PROVISIONED keeps the number but does not report it.
        if ("ON_DEMAND".equals(s.mode()) && s.warmThroughputMiBps() != null) {
            out.startObject("WarmThroughput")
                    .number("TargetMiBps", s.warmThroughputMiBps())
                    .number("CurrentMiBps", s.warmThroughputMiBps())
                    .endObject();
        }
        out.number("MaxRecordSizeInKiB", s.maxRecordSizeKiB())
                .number("ChannelCount", services.channels().ofStream(s.name(), s.epochMs()).size());
        // "This field is only present for streams that use the on-demand capacity mode" (API reference).
        if ("ON_DEMAND".equals(s.mode())) {
            out.string("RecordDistributionStrategy", s.distribution());
        }
        out.endObject();
    }
}
