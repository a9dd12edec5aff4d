package dev.millrace.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Consumer;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamConsumersResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code millrace describe STREAM}: the stream's summary (DescribeStreamSummary), every shard with its state, parents
 * and hash key range (ListShards, every page, closed shards included), and its enhanced fan-out consumers
 * (ListStreamConsumers).
 * AWS reference: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
 *
 * <p>Not thread-safe: picocli fills and calls it once.
 */
@Command(name = "describe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describes a stream of any Kinesis endpoint: status, mode, retention, encryption, every shard "
                + "(open or closed, parents, hash key range) and its enhanced fan-out consumers."},
        exitCodeListHeading = ClientCommand.EXIT_CODES_HEADING,
        exitCodeList = {ClientCommand.EXIT_0, ClientCommand.EXIT_1, ClientCommand.EXIT_2, ClientCommand.EXIT_3,
            ClientCommand.EXIT_4, ClientCommand.EXIT_130,
            ClientCommand.EXIT_143})
public final class DescribeCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "STREAM", description = "The stream's name.")
    String stream;

    @Option(names = "--format", paramLabel = "text|json", converter = FormatConverters.Output.class,
            description = "text (default) or json.")
    OutputFormat format = OutputFormat.TEXT;

    @Override
    int execute(KinesisConnection kinesis) {
        KinesisClient k = kinesis.sync();
        StreamDescriptionSummary summary = k.describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary();
        List<Shard> shards = shards(k, stream);
        List<Consumer> consumers;
        try {
            consumers = consumers(k, summary.streamARN());
        } catch (AwsServiceException e) {
            // An endpoint without enhanced fan-out (kinesalite) still has a stream worth describing.
            err.println(name() + ": consumers not listed: " + ExitCode.describe(e));
            consumers = List.of();
        }
        List<Consumer> listed = consumers;
        if (format == OutputFormat.JSON) {
            out.println(OutputFormat.json(g -> json(g, summary, shards, listed)));
        } else {
            text(summary, shards, listed);
        }
        return ExitCode.OK;
    }

    static List<Shard> shards(KinesisClient k, String stream) {
        List<Shard> shards = new ArrayList<>();
        ListShardsResponse page = k.listShards(b -> b.streamName(stream));
        shards.addAll(page.shards());
        while (page.nextToken() != null) {
            String token = page.nextToken();
            page = k.listShards(b -> b.nextToken(token));
            shards.addAll(page.shards());
        }
        return shards;
    }

    private static List<Consumer> consumers(KinesisClient k, String streamArn) {
        List<Consumer> consumers = new ArrayList<>();
        String token = null;
        do {
            String from = token;
            ListStreamConsumersResponse page = k.listStreamConsumers(b -> b.streamARN(streamArn).nextToken(from));
            consumers.addAll(page.consumers());
            token = page.nextToken();
        } while (token != null);
        return consumers;
    }

    private void text(StreamDescriptionSummary s, List<Shard> shards, List<Consumer> consumers) {
        long open = shards.stream().filter(DescribeCommand::isOpen).count();
        line("stream", s.streamName());
        line("arn", s.streamARN());
        line("status", s.streamStatusAsString());
        line("mode", s.streamModeDetails() == null ? "PROVISIONED" : s.streamModeDetails().streamModeAsString());
        line("retention", s.retentionPeriodHours() + " h");
        line("encryption", s.encryptionTypeAsString() == null ? "NONE" : s.encryptionTypeAsString()
                + (s.keyId() == null ? "" : " (" + s.keyId() + ")"));
        line("created", s.streamCreationTimestamp() == null ? "-"
                : RecordFormat.TIMESTAMP.format(s.streamCreationTimestamp()));
        line("shards", open + " open, " + shards.size() + " listed");
        line("consumers", Integer.toString(consumers.size()));
        for (Consumer c : consumers) {
            out.println("  " + c.consumerName() + "\t" + c.consumerStatusAsString() + "\t" + c.consumerARN());
        }
        out.println();
        out.printf("%-22s %-6s %-45s %s%n", "SHARD", "STATE", "PARENTS", "HASH KEYS");
        for (Shard shard : shards) {
            String parents = shard.parentShardId() == null ? "-" : shard.parentShardId()
                    + (shard.adjacentParentShardId() == null ? "" : "," + shard.adjacentParentShardId());
            out.printf("%-22s %-6s %-45s %s..%s%n", shard.shardId(), isOpen(shard) ? "open" : "closed", parents,
                    shard.hashKeyRange().startingHashKey(), shard.hashKeyRange().endingHashKey());
        }
    }

    private void line(String name, String value) {
        out.printf("%-11s %s%n", name, value);
    }

    private static void json(JsonGenerator g, StreamDescriptionSummary s, List<Shard> shards,
                             List<Consumer> consumers) throws IOException {
        g.writeStartObject();
        g.writeStringField("streamName", s.streamName());
        g.writeStringField("streamArn", s.streamARN());
        g.writeStringField("streamStatus", s.streamStatusAsString());
        g.writeStringField("streamMode", s.streamModeDetails() == null ? null
                : s.streamModeDetails().streamModeAsString());
        g.writeNumberField("retentionPeriodHours", s.retentionPeriodHours());
        g.writeStringField("encryptionType", s.encryptionTypeAsString());
        g.writeStringField("streamCreationTimestamp", s.streamCreationTimestamp() == null ? null
                : RecordFormat.TIMESTAMP.format(s.streamCreationTimestamp()));
        g.writeNumberField("openShardCount", s.openShardCount());
        g.writeArrayFieldStart("shards");
        for (Shard shard : shards) {
            g.writeStartObject();
            g.writeStringField("shardId", shard.shardId());
            g.writeBooleanField("open", isOpen(shard));
            g.writeStringField("parentShardId", shard.parentShardId());
            g.writeStringField("adjacentParentShardId", shard.adjacentParentShardId());
            g.writeStringField("startingHashKey", shard.hashKeyRange().startingHashKey());
            g.writeStringField("endingHashKey", shard.hashKeyRange().endingHashKey());
            g.writeStringField("startingSequenceNumber", shard.sequenceNumberRange().startingSequenceNumber());
            g.writeStringField("endingSequenceNumber", shard.sequenceNumberRange().endingSequenceNumber());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("consumers");
        for (Consumer c : consumers) {
            g.writeStartObject();
            g.writeStringField("consumerName", c.consumerName());
            g.writeStringField("consumerArn", c.consumerARN());
            g.writeStringField("consumerStatus", c.consumerStatusAsString());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    static boolean isOpen(Shard shard) {
        return shard.sequenceNumberRange().endingSequenceNumber() == null;
    }
}
