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
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only the embedded metadata store does: its journal and snapshot files, torn and damaged, and compaction. What
 * every metadata store does is in {@link dev.millrace.storage.contract.MetadataStoreContract}
 * ({@link FileMetadataStoreContractTest}).
 */
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
