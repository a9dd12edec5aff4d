package dev.millrace.storage.contract;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Helpers for tests that write and read shard logs through the SPI alone, whatever the backend. */
public final class LogRecords {
    private LogRecords() {
    }

    /** {@code count} records whose data is {@code prefix-i}, with seven partition keys and some explicit hash keys. */
    public static List<AppendRecord> records(String prefix, int count) {
        List<AppendRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new AppendRecord("key-" + (i % 7), i % 3 == 0 ? Integer.toString(i) : null,
                    (prefix + "-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    /** Every record a reader can see now, from position 0 to the end, read in pages of up to 1,000. */
    public static List<StoredRecord> readAll(ShardLog log) {
        List<StoredRecord> all = new ArrayList<>();
        long position = 0;
        for (int page = 0; page < 1_000_000; page++) {
            ReadResult result = log.read(position, 1000, Long.MAX_VALUE);
            all.addAll(result.records());
            if (result.records().isEmpty()) {
                return all;
            }
            position = result.nextPosition();
        }
        throw new AssertionError("readAll of " + log.key() + " did not reach the end");
    }

    public static List<String> dataOf(List<StoredRecord> records) {
        return records.stream().map(r -> new String(r.data(), StandardCharsets.UTF_8)).toList();
    }

    public static List<Long> positionsOf(AppendResult result) {
        List<Long> positions = new ArrayList<>(result.recordCount());
        for (int i = 0; i < result.recordCount(); i++) {
            positions.add(result.positionOf(i));
        }
        return positions;
    }
}
