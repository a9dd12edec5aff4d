package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the Kafka log store's tests. */
final class KafkaTesting {
    private KafkaTesting() {
    }

    /** {@code count} records {@code prefix-i}, keys {@code key-(i % 7)}, every third with an explicit hash key. */
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
            ReadResult result = log.read(position, 1000, Long.MAX_VALUE);
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
}
