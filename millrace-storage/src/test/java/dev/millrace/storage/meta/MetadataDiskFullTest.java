package dev.millrace.storage.meta;

import dev.millrace.storage.FullDisk;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metadata store on a full disk ({@link FullDisk}): a failed commit changes nothing and leaves it usable. */
class MetadataDiskFullTest {
    @TempDir
    Path dir;
    private final FullDisk disk = new FullDisk();
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private FileMetadataStore open(long compactBytes) {
        return FileMetadataStore.open(dir, compactBytes, disk, clock);
    }

    @Test
    void aCommitFailedForSpaceIsNeverAppliedAndTheStoreGoesOnOnceSpaceReturns() {
        try (FileMetadataStore store = open(FileMetadataStore.COMPACT_BYTES_DEFAULT)) {
            store.commit(Map.of("a", b("1")));
            disk.freeBytes(10); // part of the next entry fits: a torn entry after the last good one
            assertThatThrownBy(() -> store.commit(Map.of("lost", b("x".repeat(100)))))
                    .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.reported()).isTrue());
            assertThat(store.get("lost")).isEmpty();
            disk.freeBytes(Long.MAX_VALUE / 2);
            assertThat(store.commit(Map.of("b", b("2")))).isEqualTo(2);
        }
        try (FileMetadataStore store = open(FileMetadataStore.COMPACT_BYTES_DEFAULT)) {
            assertThat(store.get("a")).isPresent();
            assertThat(store.get("b")).isPresent();
            assertThat(store.get("lost")).isEmpty();
            assertThat(store.version()).isEqualTo(2);
        }
    }

    @Test
    void aCommitWhoseForceFailedIsCutFromTheJournalAtOnce() {
        try (FileMetadataStore store = open(FileMetadataStore.COMPACT_BYTES_DEFAULT)) {
            store.commit(Map.of("a", b("1")));
            disk.failForce(true);
            // Written whole, but not forced: reported failed, so it must never appear, even though it is intact.
            assertThatThrownBy(() -> store.commit(Map.of("unforced", b("a long value that outlives the next entry"))))
                    .isInstanceOf(StorageException.class);
            disk.failForce(false);
        }
        // Reopened right after the failure, before any other commit could overwrite it.
        try (FileMetadataStore store = open(FileMetadataStore.COMPACT_BYTES_DEFAULT)) {
            assertThat(store.get("unforced")).isEmpty();
            store.commit(Map.of("b", b("2")));
        }
        try (FileMetadataStore store = open(FileMetadataStore.COMPACT_BYTES_DEFAULT)) {
            assertThat(store.get("unforced")).isEmpty();
            assertThat(store.get("b")).isPresent();
        }
    }

    @Test
    void aCompactionFailedForSpaceDoesNotFailTheCommitAndLeavesNoTemporaryFile() {
        try (FileMetadataStore store = open(64)) {
            store.commit(Map.of("a", b("x".repeat(100)))); // the journal is now past 64 bytes: the next commit compacts
            disk.freeBytes(150); // room for the next journal entry, not for a snapshot plus it
            store.commit(Map.of("b", b("2")));
            assertThat(Files.exists(dir.resolve("metadata").resolve("snapshot.tmp"))).isFalse();
            disk.freeBytes(Long.MAX_VALUE / 2);
            store.commit(Map.of("c", b("3")));
            assertThat(Files.exists(dir.resolve("metadata").resolve("snapshot"))).isTrue();
        }
        try (FileMetadataStore store = open(64)) {
            assertThat(store.scan("").keySet()).containsExactly("a", "b", "c");
        }
    }
}
