package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.util.Map;

/**
 * CreateStream: a provisioned stream with {@code ShardCount} shards, or an on-demand one with 4. An on-demand stream
 * may start with the AUTO record distribution strategy; a provisioned one only with USER_PARTITION_KEY, the default.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html
 *
 * <p>Thread-safe.
 */
final class CreateStreamHandler implements OperationHandler {
    static final int ON_DEMAND_INITIAL_SHARDS = 4;
    static final int MAX_RECORD_SIZE_KIB_DEFAULT = 1024;

    private final ApiServices services;

    CreateStreamHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = request.string("StreamName");
        Struct modeDetails = request.struct("StreamModeDetails");
        String mode = modeDetails == null ? "PROVISIONED" : modeDetails.string("StreamMode");
        Integer requested = request.integer("ShardCount");
        int shards;
        if ("ON_DEMAND".equals(mode)) {
            shards = ON_DEMAND_INITIAL_SHARDS;
        } else if (requested == null) {
            throw KinesisException.invalidArgument("ShardCount is required for a stream in PROVISIONED mode.");
        } else {
            shards = requested;
        }
        Integer warmMiBps = request.integer("WarmThroughputMiBps");
        if (warmMiBps != null && "ON_DEMAND".equals(mode)) {
            UpdateStreamWarmThroughputHandler.checkMaximum(services, warmMiBps);
            // The shards the warm throughput will need count against the account's limit from the start.
            ShardLimits.checkAccount(services, Math.max(shards,
                    services.autoScaler().warmShards(warmMiBps, services.scaling().maxShardsPerStream())));
        } else {
            ShardLimits.checkAccount(services, shards);
        }
        Map<String, String> tags = request.stringMap("Tags");
        TagRules.checkTags(tags, "create " + services.streams().context(name));
        if (tags != null && tags.size() > AddTagsToStreamHandler.MAX_TAGS) {
            throw KinesisException.limitExceeded("Failed to create stream " + name + " under account "
                    + services.streams().account().id() + " because a given stream cannot have more than "
                    + AddTagsToStreamHandler.MAX_TAGS + " tags associated with it.");
        }
        if (request.has("WarmThroughputMiBps") && !"ON_DEMAND".equals(mode)) {
            throw KinesisException.invalidArgument("WarmThroughputMiBps can only be set on a stream in ON_DEMAND "
                    + "mode.");
        }
        String distribution = request.string("RecordDistributionStrategy");
        if (StreamRecord.AUTO.equals(distribution) && !"ON_DEMAND".equals(mode)) {
            throw UpdateStreamRecordDistributionStrategyHandler.autoNeedsOnDemand(name);
        }
        Integer maxRecordKiB = request.integer("MaxRecordSizeInKiB");
        // An on-demand stream's WarmThroughputMiBps is applied by the auto-scaler once the stream is ACTIVE.
        services.streams().create(name, shards, mode, tags == null ? Map.of() : tags,
                maxRecordKiB == null ? MAX_RECORD_SIZE_KIB_DEFAULT : maxRecordKiB, request.integer("WarmThroughputMiBps"),
                distribution);
    }
}
