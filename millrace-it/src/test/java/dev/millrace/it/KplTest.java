package dev.millrace.it;

import com.google.common.util.concurrent.ListenableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.kinesis.producer.KinesisProducer;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordResult;
import software.amazon.kinesis.retrieval.AggregatorUtil;
import software.amazon.kinesis.retrieval.KinesisClientRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kinesis Producer Library 1.0.4, unmodified, producing to Millrace's TLS port with the settings of the README's
 * section "Producing with the KPL", read from README.md itself (only its port and certificate path are replaced):
 * the KPL's native daemon must trust Millrace's self-signed certificate, learn the account from Millrace's STS
 * answer, map the shards, put aggregated records and upload its metrics to Millrace's CloudWatch, and say nothing
 * about it in its log above INFO. Every user record is then read back with the SDK and de-aggregated with KCL's
 * {@link AggregatorUtil}.
 *
 * <p>The daemon's output reaches SLF4J (slf4j-simple, which writes to {@link System#err} as it stands at each
 * call), so the test tees {@code System.err} to read it. The daemon (84 MB) is extracted once into
 * {@code target/kpl-native} and reused by later runs; the KPL's jar has it for Linux and macOS only.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
class KplTest {
    private static final Pattern TLS_LINE = Pattern.compile("Millrace TLS listening on https://\\S+:(\\d+)");
    private static final Pattern README_PROPERTIES = Pattern.compile(
            "## Producing with the KPL.*?```properties\\n(.*?)```", Pattern.DOTALL);
    private static final String README_PORT = "4568";
    private static final String README_CERT = "/path/to/millrace-data/tls/server.crt";
    private static final String STREAM = "kpl";
    private static final int SHARDS = 4;
    private static final int PARTITION_KEYS = 25;
    private static final int USER_RECORDS = 4_000;
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private static int tlsPort;
    private static PrintStream originalErr;

    static {
        // Before the first logger exists: the KPL's INFO lines (its daemon's progress) belong in this test's output.
        System.setProperty("org.slf4j.simpleLogger.log.software.amazon.kinesis.producer", "info");
    }

    @BeforeAll
    static void start() {
        originalErr = System.err;
        System.setErr(new PrintStream(new TeeStream(originalErr, LOG), true, StandardCharsets.UTF_8));
        // The README's command: AWS's throughput limits stay on, as the KPL expects.
        server = MillraceProcess.start(dir.resolve("data"), "--tls-port", "0", "--throughput-limits", "on");
        server.awaitReady();
        await().atMost(Duration.ofSeconds(10)).until(() -> TLS_LINE.matcher(server.output()).find());
        Matcher m = TLS_LINE.matcher(server.output());
        assertThat(m.find()).isTrue();
        tlsPort = Integer.parseInt(m.group(1));
    }

    @AfterAll
    static void stop() {
        System.setErr(originalErr);
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void theKplPutsEveryUserRecordExactlyOnceOverTls() throws Exception {
        try (KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder())) {
            produceAndReadBack(kinesis);
        }
        assertMetricsUploaded();
        assertThat(kplProblems()).as("warnings and errors in the KPL's log").isEmpty();
    }

    private static void produceAndReadBack(KinesisClient kinesis) throws Exception {
        Streams.createActive(kinesis, STREAM, SHARDS);
        List<Shard> shards = Streams.shards(kinesis, STREAM);

        Map<String, UserRecordResult> results = produce(readmeConfiguration(
                dir.resolve("data/tls/server.crt")));

        Map<String, KinesisClientRecord> received = new HashMap<>();
        int kinesisRecords = 0;
        int aggregated = 0;
        for (Shard shard : shards) {
            List<Record> records = Streams.readShard(kinesis, STREAM, shard.shardId(), 1000);
            kinesisRecords += records.size();
            List<KinesisClientRecord> users = new AggregatorUtil().deaggregate(
                    records.stream().map(KinesisClientRecord::fromRecord).toList());
            for (KinesisClientRecord user : users) {
                aggregated += user.aggregated() ? 1 : 0;
                String data = StandardCharsets.UTF_8.decode(user.data()).toString();
                String id = data.split(" ")[0];
                assertThat(received.put(id, user)).as("user record %s arrived twice", id).isNull();
                assertThat(results).as("user records put").containsKey(id);
                assertThat(data).isEqualTo(data(Integer.parseInt(id.substring(1))));
                // The KPL aggregates by the shard map it read (ListShards); Kinesis must route as it predicted.
                assertThat(Streams.owner(shards, Streams.md5(user.partitionKey())))
                        .as("the shard of %s's partition key", id).isEqualTo(shard.shardId());
                UserRecordResult result = results.get(id);
                assertThat(result.getShardId()).isEqualTo(shard.shardId());
                assertThat(result.getSequenceNumber()).isEqualTo(user.sequenceNumber());
            }
        }
        assertThat(received.keySet()).isEqualTo(results.keySet());
        for (int i = 0; i < USER_RECORDS; i++) {
            assertThat(received.get(id(i)).partitionKey()).isEqualTo(partitionKey(i));
        }
        System.out.printf("KplTest: %d user records in %d Kinesis records, %d of them aggregated%n", USER_RECORDS,
                kinesisRecords, aggregated);
        // Nearly all: the first record went before the KPL had the shard map, and one alone in a shard's batch goes
        // as a plain record.
        assertThat(aggregated).as("user records that came in aggregated records").isGreaterThan(USER_RECORDS * 9 / 10);
        assertThat(kinesisRecords).as("Kinesis records").isLessThan(USER_RECORDS / 10);
    }

    /**
     * The README's properties, with the port and certificate of this server; a test-speed metrics upload delay
     * (the KPL's default is a minute) and a temp directory kept between runs are the only settings added.
     */
    private static KinesisProducerConfiguration readmeConfiguration(Path certificate) throws IOException {
        String readme = Files.readString(MillraceProcess.repo().resolve("README.md"));
        Matcher m = README_PROPERTIES.matcher(readme);
        assertThat(m.find()).as("README.md's KPL properties block").isTrue();
        String block = m.group(1);
        assertThat(block).contains(README_PORT, README_CERT);
        Properties properties = new Properties();
        properties.load(new StringReader(block.replace(README_PORT, Integer.toString(tlsPort))
                .replace(README_CERT, certificate.toString())));
        return KinesisProducerConfiguration.fromProperties(properties)
                .setCredentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "any")))
                .setMetricsUploadDelay(2_000)
                .setTempDirectory(Path.of(System.getProperty("millrace.it.logs", "target/millrace-logs"))
                        .resolveSibling("kpl-native").toString());
    }

    /** Puts every user record and waits for all of them; returns each record's result by id. */
    private static Map<String, UserRecordResult> produce(KinesisProducerConfiguration config) throws Exception {
        KinesisProducer producer = new KinesisProducer(config);
        try {
            List<ListenableFuture<UserRecordResult>> futures = new ArrayList<>();
            for (int i = 0; i < USER_RECORDS; i++) {
                futures.add(producer.addUserRecord(STREAM, partitionKey(i),
                        ByteBuffer.wrap(data(i).getBytes(StandardCharsets.UTF_8))));
                if (i == 0) {
                    // The first record starts the stream's pipeline, which reads the shard map (ListShards); the
                    // KPL aggregates only once it has that map, and sends what comes earlier as plain records.
                    await().atMost(Duration.ofSeconds(20)).until(() -> LOG.toString(StandardCharsets.UTF_8)
                            .contains("Successfully updated shard map for stream \"" + STREAM + "\""));
                }
            }
            producer.flushSync();
            Map<String, UserRecordResult> results = new HashMap<>();
            for (int i = 0; i < USER_RECORDS; i++) {
                UserRecordResult result = futures.get(i).get(30, TimeUnit.SECONDS);
                assertThat(result.isSuccessful()).as("user record %d", i).isTrue();
                results.put(id(i), result);
            }
            // One upload of the KPL's metrics (MetricsUploadDelay) after the records were put.
            await().atMost(Duration.ofSeconds(15)).until(() -> metricNames().contains("UserRecordsPut"));
            return results;
        } finally {
            producer.destroy();
        }
    }

    private static void assertMetricsUploaded() {
        assertThat(metricNames()).contains("UserRecordsPut", "KinesisRecordsPut");
    }

    private static List<String> metricNames() {
        try (CloudWatchClient cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(Clients.CREDENTIALS).build()) {
            return cloudWatch.listMetricsPaginator(b -> b.namespace("KinesisProducerLibrary")).metrics().stream()
                    .map(Metric::metricName).distinct().toList();
        }
    }

    /** The KPL's log lines (its Java side and its daemon's) at WARN or ERROR. */
    private static List<String> kplProblems() {
        String log = LOG.toString(StandardCharsets.UTF_8);
        return log.lines().filter(l -> l.matches(".*\\b(WARN|ERROR) software\\.amazon\\.kinesis\\.producer\\..*"))
                .toList();
    }

    private static String id(int i) {
        return "r" + i;
    }

    /** The id, then 0 to 199 bytes: records of many sizes. */
    private static String data(int i) {
        return id(i) + " " + "x".repeat(i % 200);
    }

    private static String partitionKey(int i) {
        return "key-" + (i % PARTITION_KEYS);
    }

    /** Writes to both streams; {@code copy} is only read after the writes it needs. */
    private static final class TeeStream extends java.io.OutputStream {
        private final PrintStream out;
        private final ByteArrayOutputStream copy;

        TeeStream(PrintStream out, ByteArrayOutputStream copy) {
            this.out = out;
            this.copy = copy;
        }

        @Override
        public void write(int b) {
            out.write(b);
            synchronized (copy) {
                copy.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            out.write(b, off, len);
            synchronized (copy) {
                copy.write(b, off, len);
            }
        }

        @Override
        public void flush() {
            out.flush();
        }
    }
}
