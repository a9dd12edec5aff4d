package dev.millrace.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.server.state.AccountSettings;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.AutoScalingConfig;
import dev.millrace.server.state.ConsumerRegistry;
import dev.millrace.server.state.ResourcePolicies;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.FullDisk;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full disk seen through the API (issue 13: after a disk-full error the shards stayed failed once space was freed,
 * and every failed write logged a stack trace, 399 MB in 4.5 minutes). Appends on the full disk answer AWS's
 * retryable {@code InternalFailure} (500; per entry in PutRecords), the log gets a bounded number of lines, and once
 * space returns writes succeed without a restart, with every acknowledged record readable.
 */
class DiskFullApiTest {
    private static final String STREAM = "{\"StreamName\":\"s\"";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final FullDisk disk = new FullDisk();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private EmbeddedLogStore logs;
    private FileMetadataStore metadata;
    private FanOut fanOut;
    private KinesisApi api;

    @BeforeEach
    void open() {
        lines.start();
        root().addAppender(lines);
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir).withChannels(disk), clock);
        metadata = FileMetadataStore.open(dir);
        StreamRegistry streams = new StreamRegistry(metadata, logs, clock, Account.DEFAULT, 0);
        ConsumerRegistry consumers = new ConsumerRegistry(metadata, streams, clock, 0);
        ThroughputLimits throughput = ThroughputLimits.OFF;
        ApiServices services = new ApiServices(streams, new ShardIterators(new byte[32], clock),
                new ResourcePolicies(metadata), new AccountSettings(metadata, clock), 100_000,
                ScalingLimits.AWS, new Throttles(clock, throughput), new AutoScaler(streams, clock,
                new AutoScalingConfig(5_000, 10, 0.5, 0.1, 60_000, 4), throughput),
                consumers, fanOut = new FanOut(streams, consumers, clock, throughput, 1));
        api = new KinesisApi(ApiModel.kinesis(), OperationRouter.standard(services));
    }

    @AfterEach
    void close() {
        root().detachAppender(lines);
        fanOut.close();
        logs.close();
        metadata.close();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private KinesisApi.Result call(String operation, String body) {
        return api.handle("Kinesis_20131202." + operation, WireFormat.JSON, body.getBytes(StandardCharsets.UTF_8),
                "test");
    }

    private static String text(KinesisApi.Result r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private KinesisApi.Result put(String data) {
        return call("PutRecord", STREAM + ",\"PartitionKey\":\"k\",\"Data\":\"" + data + "\"}");
    }

    @Test
    void writesFailRetryablyAndQuietlyWhileTheDiskIsFullAndSucceedOnceSpaceReturns() {
        assertThat(call("CreateStream", STREAM + ",\"ShardCount\":1}").httpStatus()).isEqualTo(200);
        List<String> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            assertThat(put("YWFh").httpStatus()).isEqualTo(200);
            acked.add("YWFh");
        }
        disk.freeBytes(0);
        int before = lines.list.size();
        for (int i = 0; i < 500; i++) {
            KinesisApi.Result r = put("YmJi");
            assertThat(r.httpStatus()).isEqualTo(500);
            assertThat(r.errorType()).isEqualTo("InternalFailure");
            KinesisApi.Result batch = call("PutRecords", STREAM + ",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":"
                    + "\"YmJi\"},{\"PartitionKey\":\"b\",\"Data\":\"YmJi\"}]}");
            assertThat(batch.httpStatus()).isEqualTo(200);
            assertThat(text(batch)).contains("\"FailedRecordCount\":2").contains("\"ErrorCode\":\"InternalFailure\"");
            clock.advanceMs(10); // five seconds of outage: five heal attempts, each failing again
        }
        List<ILoggingEvent> outage = lines.list.subList(before, lines.list.size());
        assertThat(outage).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).hasSizeBetween(1, 3);

        disk.freeBytes(Long.MAX_VALUE / 2);
        clock.advanceMs(LogConfig.HEAL_INTERVAL_MS_DEFAULT);
        KinesisApi.Result healed = put("Y2Nj");
        assertThat(healed.httpStatus()).as(text(healed)).isEqualTo(200);
        acked.add("Y2Nj");

        String iterator = text(call("GetShardIterator", STREAM + ",\"ShardId\":\"shardId-000000000000\","
                + "\"ShardIteratorType\":\"TRIM_HORIZON\"}")).replaceAll(".*\"ShardIterator\":\"([^\"]+)\".*", "$1");
        String records = text(call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}"));
        List<String> read = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"Data\":\"([^\"]+)\"").matcher(records);
        while (m.find()) {
            read.add(m.group(1));
        }
        assertThat(read).containsExactlyElementsOf(acked);
    }
}
