package dev.millrace.iceberg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.iceberg.schema.JsonRecords;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import dev.millrace.iceberg.schema.SchemaMappingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;

/** A channel's schema, JSON records through {@link JsonRecords}, and ways to look at what a table holds. */
final class TestBatches {

    static final String SCHEMA = """
            {"$schema": "http://json-schema.org/draft-07/schema#",
             "type": "object", "required": ["id"],
             "properties": {"id": {"type": "integer"}, "ts": {"type": "string", "format": "date-time"},
                            "device": {"type": "string"}, "value": {"type": "number"}}}
            """;
    static final TableBucketArn BUCKET = TableBucketArn.parse("arn:aws:s3tables:us-east-1:123456789012:bucket/lake");
    static final OffsetDateTime BASE = OffsetDateTime.parse("2026-12-06T10:50:00Z");

    private TestBatches() {
    }

    static TableSchema tableSchema() {
        try {
            return JsonSchemaToIceberg.map(SCHEMA, "ts");
        } catch (SchemaMappingException e) {
            throw new AssertionError(e);
        }
    }

    /** Rows with ids {@code [firstId, firstId + count)}, one every 2 minutes from {@code BASE}: several hours. */
    static List<Record> rows(long firstId, int count) {
        JsonRecords records = new JsonRecords(tableSchema().schema(), "ts");
        List<Record> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long id = firstId + i;
            String json = "{\"id\":" + id + ",\"ts\":\"" + BASE.plusMinutes(2L * i) + "\",\"device\":\"d" + (id % 7)
                    + "\",\"value\":" + (id * 0.5) + ",\"ignored\":true}";
            JsonRecords.Conversion conversion = records.convert(json.getBytes(StandardCharsets.UTF_8));
            rows.add(((JsonRecords.Row) conversion).record());
        }
        return rows;
    }

    static List<Record> readAll(Table table) throws IOException {
        table.refresh();
        List<Record> out = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
            rows.forEach(out::add);
        }
        return out;
    }

    static List<Long> ids(Table table) throws IOException {
        return readAll(table).stream().map(r -> (Long) r.getField("id")).sorted().toList();
    }

    static List<Long> range(long first, int count) {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(first + i);
        }
        return ids;
    }

    /** Paths of the data files the table's current snapshot references. */
    static Set<String> filesInTable(Table table) throws IOException {
        table.refresh();
        Set<String> files = new TreeSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            tasks.forEach(t -> files.add(Path.of(t.file().location().replaceFirst("^file:", "")).toString()));
        }
        return files;
    }

    /** Paths of every Parquet data file under {@code dir}, referenced or not. */
    static Set<String> filesOnDisk(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> p.toString().endsWith(".parquet") && p.toString().contains("/data/"))
                    .map(Path::toString).collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CompressionCodecName codecOf(String location) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(Path.of(location)))) {
            CompressionCodecName codec = reader.getFooter().getBlocks().get(0).getColumns().get(0).getCodec();
            reader.getFooter().getBlocks().forEach(b -> b.getColumns().forEach(
                    c -> assertThat(c.getCodec()).isEqualTo(codec)));
            return codec;
        }
    }
}
