package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Helpers shared by the log engine's tests. */
final class LogTesting {
    private LogTesting() {
    }

    static List<AppendRecord> records(String prefix, int count) {
        List<AppendRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new AppendRecord("key-" + (i % 7), i % 3 == 0 ? Integer.toString(i) : null,
                    (prefix + "-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    static List<StoredRecord> readAll(ShardLog log) {
        List<StoredRecord> all = new ArrayList<>();
        long position = 0;
        while (true) {
            var result = log.read(position, 1000, Long.MAX_VALUE);
            all.addAll(result.records());
            if (result.records().isEmpty()) {
                return all;
            }
            position = result.nextPosition();
        }
    }

    static List<String> dataOf(List<StoredRecord> records) {
        return records.stream().map(r -> new String(r.data(), StandardCharsets.UTF_8)).toList();
    }

    static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }
}
