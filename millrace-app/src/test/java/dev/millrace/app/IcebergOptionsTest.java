package dev.millrace.app;

import dev.millrace.channels.s3.S3Settings;
import dev.millrace.iceberg.IcebergCatalogs;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static dev.millrace.app.MillraceMainTest.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --iceberg-*}: the embedded catalog by default, a REST catalog with its properties, and usage errors. */
class IcebergOptionsTest {
    private static final Path DATA = Path.of("/var/lib/millrace");
    private static final Function<String, CommandLine.ParameterException> USAGE = m ->
            new CommandLine.ParameterException(new CommandLine(new ServerCommand()), m);

    private static IcebergCatalogs.Settings settings(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "server";
        System.arraycopy(args, 0, all, 1, args.length);
        ServerCommand command = parse(all);
        return command.icebergOptions.settings(DATA, command.channelOptions.config(USAGE).s3(), USAGE);
    }

    @Test
    void theEmbeddedSqliteCatalogInTheDataDirIsTheDefault() {
        assertThat(settings()).isEqualTo(new IcebergCatalogs.Embedded(DATA.resolve("iceberg/catalog.db"),
                DATA.resolve("iceberg/warehouse")));
        assertThat(parse("server").config().channels().tables()).as("wired into the server's config").isNotNull();
    }

    @Test
    void aRestCatalogTakesItsWarehouseAndProperties() {
        assertThat(settings("--iceberg-rest-uri", "http://127.0.0.1:8181/catalog")).isEqualTo(
                new IcebergCatalogs.Rest("http://127.0.0.1:8181/catalog", Optional.empty(), Map.of()));
        assertThat(settings("--iceberg-rest-uri", "https://polaris.example/api/catalog", "--iceberg-rest-warehouse",
                "lake", "--iceberg-property", "credential=id:secret", "--iceberg-property", "scope=PRINCIPAL_ROLE:ALL"))
                .isEqualTo(new IcebergCatalogs.Rest("https://polaris.example/api/catalog", Optional.of("lake"),
                        Map.of("credential", "id:secret", "scope", "PRINCIPAL_ROLE:ALL")));
    }

    @Test
    void aRestCatalogGetsTheServersS3StoreForTablesOnS3() {
        S3Settings store = new S3Settings(URI.create("http://127.0.0.1:9000"), true, "eu-west-1", "AKIA", "secret");
        assertThat(settings("--s3-endpoint", "http://127.0.0.1:9000", "--s3-region", "eu-west-1",
                "--s3-access-key-id", "AKIA", "--s3-secret-access-key", "secret",
                "--iceberg-rest-uri", "http://127.0.0.1:8181/catalog", "--iceberg-property", "token=t"))
                .isEqualTo(new IcebergCatalogs.Rest("http://127.0.0.1:8181/catalog", Optional.empty(),
                        Map.of("token", "t"), Optional.of(store)));
    }

    @Test
    void catalogPropertiesAlsoComeFromTheEnvironmentKeyByKey() {
        ServerCommand command = ConfigSourcesTest.parse(Map.of("MILLRACE_ICEBERG_PROPERTY",
                "credential=from-env\nscope=all", "MILLRACE_ICEBERG_REST_URI", "http://127.0.0.1:8181/"),
                "server", "--iceberg-property", "scope=from-command-line");
        command.config();
        assertThat(command.icebergOptions.settings(DATA, null, USAGE)).isEqualTo(new IcebergCatalogs.Rest(
                "http://127.0.0.1:8181/", Optional.empty(), Map.of("credential", "from-env", "scope",
                "from-command-line")));
    }

    @Test
    void theEmbeddedCatalogsWarehouseGoesToABucketOfTheS3Endpoint() {
        S3Settings store = new S3Settings(URI.create("http://127.0.0.1:9000"), true, "eu-west-1", "AKIA", "secret");
        assertThat(settings("--s3-endpoint", "http://127.0.0.1:9000", "--s3-region", "eu-west-1",
                "--s3-access-key-id", "AKIA", "--s3-secret-access-key", "secret",
                "--iceberg-warehouse", "s3://lake-files/iceberg/")).isEqualTo(new IcebergCatalogs.Embedded(
                DATA.resolve("iceberg/catalog.db"), DATA.resolve("iceberg/warehouse"),
                Optional.of(new IcebergCatalogs.S3Warehouse("s3://lake-files/iceberg", store))));
        assertThat(settings("--s3-endpoint", "aws", "--iceberg-warehouse", "s3://lake-files"))
                .isEqualTo(new IcebergCatalogs.Embedded(DATA.resolve("iceberg/catalog.db"),
                        DATA.resolve("iceberg/warehouse"), Optional.of(new IcebergCatalogs.S3Warehouse(
                        "s3://lake-files", new S3Settings(null, true, "us-east-1", null, null)))));
    }

    @Test
    void aBadOrMisplacedS3WarehouseIsAUsageError() {
        assertThatThrownBy(() -> settings("--iceberg-warehouse", "s3://lake/tables"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("give --s3-endpoint");
        for (String bad : new String[] {"/var/lib/tables", "file:///tmp/t", "s3:///tables", "s3://lake//t",
                "s3://lake/t?x=1", "s3://key@lake/t", "s3://lake:9000/t", "s3://la ke/"}) {
            assertThatThrownBy(() -> settings("--s3-endpoint", "aws", "--iceberg-warehouse", bad)).as(bad)
                    .isInstanceOf(CommandLine.ParameterException.class)
                    .hasMessageContaining("must be s3://BUCKET or s3://BUCKET/PREFIX");
        }
        assertThatThrownBy(() -> settings("--s3-endpoint", "aws", "--iceberg-rest-uri", "http://h:1/",
                "--iceberg-warehouse", "s3://lake/t")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--iceberg-rest-warehouse");
    }

    @Test
    void badCombinationsAreUsageErrors() {
        assertThatThrownBy(() -> settings("--iceberg-rest-uri", "ftp://x/"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> settings("--iceberg-rest-warehouse", "lake"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("not given");
        assertThatThrownBy(() -> settings("--iceberg-property", "token=t"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("not given");
        assertThatThrownBy(() -> settings("--iceberg-rest-uri", "http://h:1/", "--iceberg-property", "uri=http://o/"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--iceberg-rest-uri");
    }

    @Test
    void onKafkaStorageTheEmbeddedCatalogIsRefusedWithWhatToConfigure() throws Exception {
        dev.millrace.channels.table.TableTarget target = new dev.millrace.channels.table.TableTarget("ch-1", "c",
                "arn:aws:s3tables:us-east-1:123456789012:bucket/lake", "ns", "t", "ZSTD", "ts", "JSON",
                "arn:aws:glue:us-east-1:123456789012:schema/reg/s", null, null);
        try (var sink = parse("server", "--storage", "kafka").config().channels().tables()
                .open(1024, java.time.Clock.systemUTC())) {
            assertThat(sink.problem(target)).hasValueSatisfying(reason -> assertThat(reason)
                    .contains("S3 Tables channels need a catalog every node shares").contains("--iceberg-rest-uri"));
            assertThatThrownBy(() -> sink.write(target, "shardId-000000000000", 0, 1, java.util.List.of(),
                    (r, code, message) -> { })).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("--iceberg-rest-uri");
        }
        try (var sink = parse("server", "--storage", "kafka", "--iceberg-rest-uri", "http://127.0.0.1:9/catalog")
                .config().channels().tables().open(1024, java.time.Clock.systemUTC())) {
            assertThat(sink).as("a REST catalog is shared").isInstanceOf(dev.millrace.iceberg.IcebergTableSink.class);
        }
    }
}
