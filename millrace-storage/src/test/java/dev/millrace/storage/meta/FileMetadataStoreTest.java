package dev.millrace.storage.meta;

import dev.millrace.storage.CorruptDataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileMetadataStoreTest {
    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Path journal() {
        return dir.resolve("metadata").resolve(FileMetadataStore.JOURNAL);
    }

    @Test
    void commitsAreAtomicVersionedAndScannableByPrefix() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            Map<String, byte[]> first = new LinkedHashMap<>();
            first.put("stream/a", b("A"));
            first.put("stream/b", b("B"));
            first.put("shard/a/0", b("a0"));
            assertThat(store.commit(first)).isEqualTo(1);
            Map<String, byte[]> second = new HashMap<>();
            second.put("stream/b", null);
            second.put("stream/c", b("C"));
            assertThat(store.commit(second)).isEqualTo(2);

            assertThat(store.scan("stream/").keySet()).containsExactly("stream/a", "stream/c");
            assertThat(store.get("stream/b")).isEmpty();
            assertThat(s(store.get("shard/a/0").orElseThrow())).isEqualTo("a0");
            assertThat(store.version()).isEqualTo(2);
        }
    }

    @Test
    void returnedValuesAreCopies() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            store.commit(Map.of("k", b("value")));
            store.get("k").orElseThrow()[0] = 'X';
            assertThat(s(store.get("k").orElseThrow())).isEqualTo("value");
        }
    }

    @Test
    void everythingSurvivesRestart() {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            for (int i = 0; i < 50; i++) {
                store.commit(Map.of("k" + (i % 10), b("v" + i)));
            }
        }
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            assertThat(store.version()).isEqualTo(50);
            assertThat(store.scan("k")).hasSize(10);
            assertThat(s(store.get("k9").orElseThrow())).isEqualTo("v49");
        }
    }

    @Test
    void halfWrittenLastCommitIsIgnoredAndTheNextOneFollowsIt() throws IOException {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            store.commit(Map.of("a", b("1")));
            store.commit(Map.of("b", b("2")));
        }
        long intact = Files.size(journal());
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            store.commit(Map.of("c", b("3"), "a", b("changed")));
        }
        // Cut the last commit in half, as a crash in the middle of its write would.
        long full = Files.size(journal());
        try (FileChannel ch = FileChannel.open(journal(), StandardOpenOption.WRITE)) {
            ch.truncate(intact + (full - intact) / 2);
        }
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            assertThat(store.version()).isEqualTo(2);
            assertThat(store.get("c")).isEmpty();
            assertThat(s(store.get("a").orElseThrow())).isEqualTo("1");
            store.commit(Map.of("d", b("4")));
        }
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            assertThat(store.version()).isEqualTo(3);
            assertThat(store.scan("").keySet()).containsExactly("a", "b", "d");
        }
    }

    @Test
    void flippedByteInLastCommitDropsOnlyThatCommit() throws IOException {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            store.commit(Map.of("a", b("1")));
            store.commit(Map.of("b", b("2")));
        }
        byte[] bytes = Files.readAllBytes(journal());
        bytes[bytes.length - 2] ^= 0x40;
        Files.write(journal(), bytes);
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            assertThat(store.version()).isEqualTo(1);
            assertThat(store.scan("").keySet()).containsExactly("a");
        }
    }

    @Test
    void snapshotsCompactTheJournalAndSurviveRestart() {
        try (FileMetadataStore store = FileMetadataStore.open(dir, 512)) {
            for (int i = 0; i < 200; i++) {
                store.commit(Map.of("key-" + (i % 20), b("value-" + i)));
            }
            assertThat(store.journalBytes()).isLessThanOrEqualTo(1024);
        }
        assertThat(dir.resolve("metadata").resolve(FileMetadataStore.SNAPSHOT)).exists();
        try (FileMetadataStore store = FileMetadataStore.open(dir, 512)) {
            assertThat(store.version()).isEqualTo(200);
            assertThat(store.scan("key-")).hasSize(20);
            assertThat(s(store.get("key-19").orElseThrow())).isEqualTo("value-199");
        }
    }

    @Test
    void crashBetweenSnapshotAndJournalResetLosesNothing() throws IOException {
        Path snapshot = dir.resolve("metadata").resolve(FileMetadataStore.SNAPSHOT);
        byte[] journalBeforeCompaction = null;
        try (FileMetadataStore store = FileMetadataStore.open(dir, 300)) {
            for (int i = 0; i < 100 && !Files.exists(snapshot); i++) {
                journalBeforeCompaction = Files.readAllBytes(journal());
                store.commit(Map.of("k" + i, b("v" + i)));
            }
        }
        assertThat(snapshot).exists();
        // Put back the journal as it was just before compaction emptied it: entries the snapshot already holds.
        Files.write(journal(), journalBeforeCompaction);
        try (FileMetadataStore store = FileMetadataStore.open(dir, 300)) {
            long version = store.version();
            assertThat(store.scan("k")).hasSize((int) version);
            store.commit(Map.of("after", b("x")));
            assertThat(store.version()).isEqualTo(version + 1);
        }
    }

    @Test
    void leftoverHalfWrittenSnapshotIsIgnored() throws IOException {
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            store.commit(Map.of("a", b("1")));
        }
        byte[] garbage = new byte[100];
        new Random(3).nextBytes(garbage);
        Files.write(dir.resolve("metadata").resolve(FileMetadataStore.SNAPSHOT + ".tmp"), garbage);
        try (FileMetadataStore store = FileMetadataStore.open(dir)) {
            assertThat(store.scan("").keySet()).containsExactly("a");
        }
        assertThat(dir.resolve("metadata").resolve(FileMetadataStore.SNAPSHOT + ".tmp")).doesNotExist();
    }

    @Test
    void damagedSnapshotIsReportedNotSilentlyDropped() throws IOException {
        try (FileMetadataStore store = FileMetadataStore.open(dir, 100)) {
            for (int i = 0; i < 20; i++) {
                store.commit(Map.of("k" + i, b("v")));
            }
        }
        Path snapshot = dir.resolve("metadata").resolve(FileMetadataStore.SNAPSHOT);
        byte[] bytes = Files.readAllBytes(snapshot);
        bytes[bytes.length / 2] ^= 1;
        Files.write(snapshot, bytes);
        assertThatThrownBy(() -> FileMetadataStore.open(dir, 100)).isInstanceOf(CorruptDataException.class);
    }
}
