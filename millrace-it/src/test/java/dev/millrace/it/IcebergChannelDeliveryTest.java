package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.channels.s3.S3Settings;
import dev.millrace.channels.table.GsrRecords;
import dev.millrace.iceberg.IcebergCatalogs;
import dev.millrace.iceberg.RestCatalogServer;
import dev.millrace.iceberg.TableBucketArn;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.model.CreateSchemaResponse;
import software.amazon.awssdk.services.glue.model.DataFormat;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelDescription;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channels deliver into Apache Iceberg tables for real: a server run as a child process (the app's jar) writes a
 * stream's JSON records as rows, with the schema created by the SDK's GlueClient and the channel by its
 * KinesisClient, into the embedded catalog (SQLite in the data directory), with its warehouse there or in a bucket
 * of the S3 endpoint ({@code --iceberg-warehouse}), and, from another server, into an Iceberg
 * REST catalog server started by the test (Iceberg's own server side, {@link RestCatalogServer}) whose tables are in a
 * bucket of the S3 endpoint, reached with the server's S3 settings. The tables are read
 * back with Iceberg's own reader (IcebergGenerics): every valid record once, partitioned by the hour of its
 * timestamp, with the registered schema's columns; the invalid records are dead letters in a real S3 API server
 * (s3proxy) with their reasons. DataFreshnessInSeconds is 2 ({@code --channel-min-freshness-seconds 2}).
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IcebergChannelDeliveryTest {
    private static final String ACCOUNT = "000000000000";
    private static final Duration DELIVERY = Duration.ofSeconds(60);
    private static final String DLQ_BUCKET = "lake-dlq";
    private static final String WAREHOUSE_BUCKET = "lake-warehouse";
    private static final String SCHEMA = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
            + "\"required\":[\"id\"],\"properties\":{\"id\":{\"type\":\"integer\"},"
            + "\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},\"item\":{\"type\":\"string\"},"
            + "\"price\":{\"type\":\"number\"}}}";
    private static final OffsetDateTime BASE = OffsetDateTime.of(2026, 12, 6, 9, 10, 0, 0, ZoneOffset.UTC);
    private static final Pattern SEQUENCE_NUMBER = Pattern.compile("\"sequenceNumber\":\"(\\d+)\"");
    private static final Pattern ERROR_CODE = Pattern.compile("\"errorCode\":\"([A-Z_]+)\"");

    private S3ProxyServer s3;
    private S3Client s3Client;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        s3 = new S3ProxyServer();
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket(DLQ_BUCKET));
        s3Client.createBucket(b -> b.bucket(WAREHOUSE_BUCKET));
        work = Files.createTempDirectory("millrace-it-iceberg-");
    }

    @AfterAll
    void stop() throws Exception {
        s3Client.close();
        s3.close();
        KinesisApiContract.deleteTree(work);
    }

    private MillraceProcess server(Path dataDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("--s3-endpoint", s3.endpoint.toString(), "--s3-access-key-id",
                S3ProxyServer.ACCESS_KEY, "--s3-secret-access-key", S3ProxyServer.SECRET_KEY,
                "--channel-min-freshness-seconds", "2"));
        args.addAll(List.of(extra));
        return MillraceProcess.start(dataDir, args.toArray(String[]::new));
    }

    @Test
    @EmbeddedOnly("the embedded catalog is one node's file: on Kafka storage table channels need --iceberg-rest-uri")
    void jsonRecordsBecomeRowsOfATableInTheEmbeddedCatalogOnceEachAlsoAcrossARestart() throws Exception {
        Path dataDir = work.resolve("embedded");
        String table = "orders";
        Map<Long, OffsetDateTime> expected = new TreeMap<>();
        Map<String, String> deadLetters = new TreeMap<>();
        String channelId;
        try (MillraceProcess server = server(dataDir); KinesisClient kinesis = kinesis(server);
             GlueClient glue = glue(server)) {
            String schemaArn = glue.createSchema(b -> b.schemaName("orders").dataFormat(DataFormat.JSON)
                    .schemaDefinition(SCHEMA)).schemaArn();
            onDemandStream(kinesis, "orders");
            ChannelDescription channel = createChannel(kinesis, "orders-to-lake", "orders", "JSON", schemaArn,
                    "lake", table, "ZSTD");
            channelId = channel.channelId();
            for (long id = 0; id < 30; id++) {
                OffsetDateTime ts = BASE.plusMinutes(7 * id); // 9:10 to 12:33: four hours
                put(kinesis, "orders", row(id, ts), "k" + (id % 4));
                expected.put(id, ts);
            }
            deadLetters.put(put(kinesis, "orders", "{\"id\":100,".getBytes(StandardCharsets.UTF_8), "k0"),
                    "DESERIALIZATION_ERROR");
            deadLetters.put(put(kinesis, "orders", "{\"id\":101}".getBytes(StandardCharsets.UTF_8), "k1"),
                    "MISSING_PARTITION_FIELD");
            deadLetters.put(put(kinesis, "orders", ("{\"id\":\"one hundred two\",\"ts\":\"" + BASE + "\"}")
                    .getBytes(StandardCharsets.UTF_8), "k2"), "SCHEMA_VALIDATION_FAILED");

            try (IcebergCatalogs catalogs = embedded(dataDir)) {
                Catalog catalog = catalogs.catalog(TableBucketArn.parse(tableBucket("lake")));
                TableIdentifier id = IcebergCatalogs.tableId("shop", table);
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(ids(catalog, id)).hasSize(expected.size()));
                Table delivered = catalog.loadTable(id);
                assertThat(ids(catalog, id)).containsExactlyElementsOf(expected.keySet());
                assertTable(delivered, expected, "zstd");
            }
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(deadLetters("errors/")).isEqualTo(deadLetters));

            // The channel's own metrics, under AWS's Iceberg names only.
            Map<String, String> labels = Map.of("account", ACCOUNT, "region", "us-east-1", "stream", "orders",
                    "channel", "orders-to-lake", "channel_id", channelId);
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                String metrics = metrics(server);
                assertThat(value(metrics, "kinesis_channel_delivery_to_iceberg_successful_rows_total", labels))
                        .isEqualTo(expected.size());
                assertThat(value(metrics, "kinesis_channel_delivery_to_iceberg_failed_rows_total", labels))
                        .isEqualTo(deadLetters.size());
                assertThat(value(metrics, "kinesis_channel_delivery_to_iceberg_total_rows_total", labels))
                        .isEqualTo(expected.size() + deadLetters.size());
                assertThat(metrics).doesNotContain("kinesis_channel_delivery_to_s3_");
            });
        }

        // A restart delivers neither row again, and what arrives after it too.
        try (MillraceProcess server = server(dataDir); KinesisClient kinesis = kinesis(server)) {
            for (long id = 30; id < 40; id++) {
                OffsetDateTime ts = BASE.plusMinutes(7 * id);
                put(kinesis, "orders", row(id, ts), "k" + (id % 4));
                expected.put(id, ts);
            }
            try (IcebergCatalogs catalogs = embedded(dataDir)) {
                Catalog catalog = catalogs.catalog(TableBucketArn.parse(tableBucket("lake")));
                TableIdentifier id = IcebergCatalogs.tableId("shop", table);
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(ids(catalog, id)).hasSize(expected.size()));
                assertThat(ids(catalog, id)).containsExactlyElementsOf(expected.keySet());
                assertThat(catalog.loadTable(id).properties()).containsEntry("millrace.channel-id", channelId);
            }
            assertThat(deadLetters("errors/")).isEqualTo(deadLetters);
        }
    }

    @Test
    @EmbeddedOnly("the embedded catalog is one node's file: on Kafka storage table channels need --iceberg-rest-uri")
    void withTheWarehouseOnTheS3EndpointRowsAreObjectsThereOnceEachAlsoAcrossARestart() throws Exception {
        Path dataDir = work.resolve("s3-warehouse");
        String[] warehouse = {"--iceberg-warehouse", "s3://" + WAREHOUSE_BUCKET + "/tables/"};
        Map<Long, OffsetDateTime> expected = new TreeMap<>();
        TableIdentifier id = IcebergCatalogs.tableId("shop", "visits");
        try (MillraceProcess server = server(dataDir, warehouse); KinesisClient kinesis = kinesis(server);
             GlueClient glue = glue(server)) {
            String schemaArn = glue.createSchema(b -> b.schemaName("visits").dataFormat(DataFormat.JSON)
                    .schemaDefinition(SCHEMA)).schemaArn();
            onDemandStream(kinesis, "visits");
            createChannel(kinesis, "visits-to-s3-lake", "visits", "JSON", schemaArn, "s3-lake", "visits", "ZSTD");
            for (long n = 0; n < 20; n++) {
                OffsetDateTime ts = BASE.plusMinutes(11 * n);
                put(kinesis, "visits", row(n, ts), "k" + (n % 3));
                expected.put(n, ts);
            }
            try (IcebergCatalogs catalogs = s3Warehouse(dataDir)) {
                Catalog catalog = catalogs.catalog(TableBucketArn.parse(tableBucket("s3-lake")));
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(ids(catalog, id)).hasSize(expected.size()));
                assertThat(ids(catalog, id)).containsExactlyElementsOf(expected.keySet());
            }
        }
        // A restart delivers no row again, and what arrives after it once.
        try (MillraceProcess server = server(dataDir, warehouse); KinesisClient kinesis = kinesis(server)) {
            for (long n = 20; n < 30; n++) {
                OffsetDateTime ts = BASE.plusMinutes(11 * n);
                put(kinesis, "visits", row(n, ts), "k" + (n % 3));
                expected.put(n, ts);
            }
            try (IcebergCatalogs catalogs = s3Warehouse(dataDir)) {
                Catalog catalog = catalogs.catalog(TableBucketArn.parse(tableBucket("s3-lake")));
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(ids(catalog, id)).hasSize(expected.size()));
                assertThat(ids(catalog, id)).containsExactlyElementsOf(expected.keySet());
                Table table = catalog.loadTable(id);
                assertThat(table.location()).isEqualTo("s3://" + WAREHOUSE_BUCKET + "/tables/" + ACCOUNT
                        + "/us-east-1/s3-lake/shop/visits");
                Set<String> objects = new TreeSet<>();
                for (S3Object object : s3Client.listObjectsV2Paginator(b -> b.bucket(WAREHOUSE_BUCKET)).contents()) {
                    objects.add("s3://" + WAREHOUSE_BUCKET + "/" + object.key());
                }
                try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
                    tasks.forEach(task -> assertThat(objects).as("data files are objects of the warehouse bucket")
                            .contains(task.file().location()));
                }
            }
        }
        assertThat(dataDir.resolve("iceberg/warehouse")).as("no table file on the server's disk").doesNotExist();
    }

    @Test
    void gsrJsonRecordsGoThroughARestCatalogAndRecordsOfAnotherSchemaVersionAreDeadLetters() throws Exception {
        Path dataDir = work.resolve("rest");
        // The catalog keeps its tables on the S3 endpoint and vends nothing: the server reaches them with its own
        // --s3-* settings (MillraceFileIO, the REST catalogs' default io-impl).
        try (RestCatalogServer rest = RestCatalogServer.onS3(work.resolve("rest-catalog"),
                "s3://" + WAREHOUSE_BUCKET + "/rest", new S3Settings(s3.endpoint, true, "us-east-1",
                        S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY), Map.of())) {
            String[] catalog = {"--iceberg-rest-uri", rest.uri(), "--iceberg-property", "token=secret-token"};
            Map<Long, OffsetDateTime> expected = new TreeMap<>();
            UUID v1 = gsrRecordsThroughARestCatalog(rest, server(dataDir, catalog), expected);
            // A restart delivers no row again, and what arrives after it once.
            try (MillraceProcess server = server(dataDir, catalog); KinesisClient kinesis = kinesis(server)) {
                for (long n = 16; n < 24; n++) {
                    OffsetDateTime ts = BASE.plusMinutes(13 * n);
                    put(kinesis, "readings", GsrRecords.encode(v1, row(n, ts), false), "k" + n);
                    expected.put(n, ts);
                }
                TableIdentifier id = IcebergCatalogs.tableId("shop", "readings");
                await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                        .untilAsserted(() -> assertThat(ids(rest.backend(), id)).hasSize(expected.size()));
                assertThat(ids(rest.backend(), id)).containsExactlyElementsOf(expected.keySet());
            }
        }
    }

    /** The first server's part: rows of schema version 1 once each, another version's records dead letters. */
    private UUID gsrRecordsThroughARestCatalog(RestCatalogServer rest, MillraceProcess started,
                                               Map<Long, OffsetDateTime> expected) throws Exception {
        try (MillraceProcess server = started; KinesisClient kinesis = kinesis(server);
             GlueClient glue = glue(server)) {
            CreateSchemaResponse schema = glue.createSchema(b -> b.schemaName("readings").dataFormat(DataFormat.JSON)
                    .schemaDefinition(SCHEMA));
            UUID v1 = UUID.fromString(schema.schemaVersionId());
            onDemandStream(kinesis, "readings");
            createChannel(kinesis, "readings-to-rest", "readings", "GSR_JSON", schema.schemaArn(), "rest-lake",
                    "readings", "SNAPPY");
            Map<String, String> deadLetters = new TreeMap<>();
            for (long id = 0; id < 12; id++) {
                OffsetDateTime ts = BASE.plusMinutes(13 * id);
                put(kinesis, "readings", GsrRecords.encode(v1, row(id, ts), id % 2 == 0), "k" + id);
                expected.put(id, ts);
            }
            deadLetters.put(put(kinesis, "readings", row(50, BASE), "k0"), "INVALID_SCHEMA");

            TableIdentifier id = IcebergCatalogs.tableId("shop", "readings");
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(ids(rest.backend(), id)).hasSize(expected.size()));
            // A version registered after the table was made is not the table's: its records are dead letters.
            String v2 = glue.registerSchemaVersion(b -> b.schemaId(s -> s.schemaArn(schema.schemaArn()))
                    .schemaDefinition(SCHEMA.replace("\"price\"", "\"discount\":{\"type\":\"number\"},\"price\"")))
                    .schemaVersionId();
            deadLetters.put(put(kinesis, "readings", GsrRecords.encode(UUID.fromString(v2), row(51, BASE), false),
                    "k1"), "INVALID_SCHEMA");
            for (long n = 12; n < 16; n++) {
                OffsetDateTime ts = BASE.plusMinutes(13 * n);
                put(kinesis, "readings", GsrRecords.encode(v1, row(n, ts), true), "k" + n);
                expected.put(n, ts);
            }
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(ids(rest.backend(), id)).hasSize(expected.size()));
            assertThat(ids(rest.backend(), id)).containsExactlyElementsOf(expected.keySet());
            Table table = rest.backend().loadTable(id);
            assertThat(table.location()).startsWith("s3://" + WAREHOUSE_BUCKET + "/rest/");
            assertTable(table, expected, "snappy");
            assertThat(table.properties()).containsEntry("millrace.schema-version-id", v1.toString());
            assertThat(rest.requests()).as("the server used the REST catalog with its token")
                    .anyMatch(r -> r.startsWith("POST /v1/namespaces/shop/tables/readings ")
                            && r.endsWith("Bearer secret-token"));
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(deadLetters("rest-errors/")).isEqualTo(deadLetters));
            return v1;
        }
    }

    /** The registered schema's columns, hour(ts) partitions whose files hold only their hour, the codec. */
    private static void assertTable(Table table, Map<Long, OffsetDateTime> expected, String codec) throws Exception {
        assertThat(table.schema().asStruct()).isEqualTo(JsonSchemaToIceberg.map(SCHEMA, "ts").schema().asStruct());
        assertThat(table.schema().findField("id").isRequired()).isTrue();
        assertThat(table.schema().findField("ts").isRequired()).as("the partition column").isTrue();
        PartitionField partition = table.spec().fields().get(0);
        assertThat(table.spec().fields()).hasSize(1);
        assertThat(partition.transform().toString()).isEqualTo("hour");
        assertThat(table.schema().findColumnName(partition.sourceId())).isEqualTo("ts");
        assertThat(table.properties()).containsEntry("write.parquet.compression-codec", codec);
        assertThat(((HasTableOperations) table).operations().current().formatVersion()).isEqualTo(2);

        Set<Integer> expectedHours = new TreeSet<>();
        expected.values().forEach(ts -> expectedHours.add((int) (ts.toEpochSecond() / 3600)));
        Set<Integer> hours = new TreeSet<>();
        int tsId = table.schema().findField("ts").fieldId();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().includeColumnStats().planFiles()) {
            for (FileScanTask task : tasks) {
                int hour = task.file().partition().get(0, Integer.class);
                hours.add(hour);
                long lowMicros = Conversions.fromByteBuffer(Types.TimestampType.withZone(),
                        task.file().lowerBounds().get(tsId));
                long highMicros = Conversions.fromByteBuffer(Types.TimestampType.withZone(),
                        task.file().upperBounds().get(tsId));
                assertThat(lowMicros / 3_600_000_000L).as("file %s holds its hour only", task.file().location())
                        .isEqualTo(hour);
                assertThat(highMicros / 3_600_000_000L).isEqualTo(hour);
                assertThat(codecOf(table, task.file().location())).isEqualToIgnoringCase(codec);
            }
        }
        assertThat(hours).isEqualTo(expectedHours);
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
            for (Record row : rows) {
                long id = (Long) row.getField("id");
                assertThat(((OffsetDateTime) row.getField("ts")).toInstant()).isEqualTo(expected.get(id).toInstant());
                assertThat(row.getField("item")).isEqualTo("item-" + id);
                assertThat(row.getField("price")).isEqualTo(id * 1.5);
            }
        }
    }

    /** The codec of a data file's first column chunk; a file on S3 is read from a local copy. */
    private static String codecOf(Table table, String location) throws IOException {
        Path path = Path.of(location.replaceFirst("^file:", ""));
        Path copy = null;
        if (location.startsWith("s3://")) {
            copy = Files.createTempFile("millrace-it-", ".parquet");
            try (InputStream in = table.io().newInputFile(location).newStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            path = copy;
        }
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(path))) {
            return reader.getFooter().getBlocks().get(0).getColumns().get(0).getCodec().name();
        } finally {
            if (copy != null) {
                Files.delete(copy);
            }
        }
    }

    private static byte[] row(long id, OffsetDateTime ts) {
        return ("{\"id\":" + id + ",\"ts\":\"" + ts + "\",\"item\":\"item-" + id + "\",\"price\":" + (id * 1.5)
                + ",\"ignored\":[1,2]}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<Long> ids(Catalog catalog, TableIdentifier id) throws IOException {
        if (!catalog.tableExists(id)) {
            return List.of();
        }
        List<Long> ids = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(catalog.loadTable(id)).build()) {
            rows.forEach(r -> ids.add((Long) r.getField("id")));
        }
        ids.sort(null);
        return ids;
    }

    /** The dead letters under {@code prefix}: sequence number to error code. */
    private Map<String, String> deadLetters(String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (S3Object object : s3Client.listObjectsV2Paginator(b -> b.bucket(DLQ_BUCKET).prefix(prefix)).contents()) {
            String text = new String(S3ProxyServer.get(s3Client, DLQ_BUCKET, object.key()), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                Matcher sequence = SEQUENCE_NUMBER.matcher(line);
                Matcher code = ERROR_CODE.matcher(line);
                assertThat(sequence.find() && code.find()).as(line).isTrue();
                assertThat(out.put(sequence.group(1), code.group(1))).as("one dead letter per record").isNull();
                assertThat(line).as("no payload in a dead letter").doesNotContain("item-");
            }
        }
        return out;
    }

    private ChannelDescription createChannel(KinesisClient kinesis, String name, String stream, String format,
                                             String schemaArn, String tableBucket, String table, String compression) {
        String arn = kinesis.createChannel(b -> b.channelName(name)
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream)
                        .recordConfiguration(r -> r.recordFormatType(format).gsrSchemaARN(schemaArn)))
                .s3TablesDestinationConfiguration(d -> d.dataFreshnessInSeconds(2)
                        .deadLetterQueueS3Configuration(q -> q.bucketARN("arn:aws:s3:::" + DLQ_BUCKET)
                                .expectedBucketOwner(ACCOUNT).errorOutputPrefix(tableBucket.startsWith("rest")
                                        ? "rest-errors/" : "errors/"))
                        .s3TablesConfigurationList(t -> t.tableBucketARN(tableBucket(tableBucket)).namespace("shop")
                                .tableName(table).compressionType(compression)
                                .partitionSpec(p -> p.partitionFields(f -> f.transform("TIME_HOUR").sourceName("ts"))))))
                .channelDescription().channelARN();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            ChannelDescription d = kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription();
            assertThat(d.channelStatus()).as(String.valueOf(d.channelStatusReason())).isEqualTo(ChannelStatus.ACTIVE);
        });
        return kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription();
    }

    private static String tableBucket(String name) {
        return "arn:aws:s3tables:us-east-1:" + ACCOUNT + ":bucket/" + name;
    }

    private static IcebergCatalogs embedded(Path dataDir) {
        return new IcebergCatalogs(new IcebergCatalogs.Embedded(dataDir.resolve("iceberg/catalog.db"),
                dataDir.resolve("iceberg/warehouse")));
    }

    /** The embedded catalog as a server with {@code --iceberg-warehouse s3://WAREHOUSE_BUCKET/tables} opens it. */
    private IcebergCatalogs s3Warehouse(Path dataDir) {
        return new IcebergCatalogs(new IcebergCatalogs.Embedded(dataDir.resolve("iceberg/catalog.db"),
                dataDir.resolve("iceberg/warehouse"), Optional.of(new IcebergCatalogs.S3Warehouse(
                "s3://" + WAREHOUSE_BUCKET + "/tables", new S3Settings(s3.endpoint, true, "us-east-1",
                S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))));
    }

    private static void onDemandStream(KinesisClient kinesis, String name) {
        kinesis.createStream(b -> b.streamName(name).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
        Streams.awaitActive(kinesis, name);
    }

    private static String put(KinesisClient kinesis, String stream, byte[] data, String partitionKey) {
        return kinesis.putRecord(b -> b.streamName(stream).partitionKey(partitionKey)
                .data(SdkBytes.fromByteArray(data))).sequenceNumber();
    }

    private static KinesisClient kinesis(MillraceProcess server) {
        return Clients.sync(server.awaitReady(), true, new Clients.Recorder());
    }

    private static GlueClient glue(MillraceProcess server) {
        URI endpoint = server.awaitReady();
        return GlueClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE",
                        "secret")))
                .httpClient(UrlConnectionHttpClient.builder().build()).build();
    }

    private static String metrics(MillraceProcess server) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                server.awaitReady().resolve("/metrics")).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
