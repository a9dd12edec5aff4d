package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.contract.LogRecords;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Helpers shared by the log engine's tests: {@link LogRecords}' under their old names, and the engine's files. */
final class LogTesting {
    private LogTesting() {
    }

    static List<AppendRecord> records(String prefix, int count) {
        return LogRecords.records(prefix, count);
    }

    static List<StoredRecord> readAll(ShardLog log) {
        return LogRecords.readAll(log);
    }

    static List<String> dataOf(List<StoredRecord> records) {
        return LogRecords.dataOf(records);
    }

    static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
