package dev.millrace.channels.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.s3.Destination.ObjectTarget;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFilesDestinationTest {

    @TempDir
    Path dir;

    @Test
    void objectsAreFilesUnderBucketAndKeyAndAnOverwriteReplaces() throws Exception {
        objectsAreFilesUnderBucketAndKeyAndAnOverwriteReplaces(new LocalFilesDestination(dir.resolve("channels")));
    }

    @Test
    void objectsAreCopiesWhereLinksAreImpossible() throws Exception {
        objectsAreFilesUnderBucketAndKeyAndAnOverwriteReplaces(new LocalFilesDestination(dir.resolve("channels"),
                (source, target) -> Files.move(source, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING), false));
    }

    private void objectsAreFilesUnderBucketAndKeyAndAnOverwriteReplaces(LocalFilesDestination local)
            throws Exception {
        Path staged = Files.writeString(dir.resolve("staged-1"), "first");
        local.put(new ObjectTarget("lake", "a/b/c.json", "STANDARD", null), staged);
        Path object = dir.resolve("channels/lake/a/b/c.json");
        assertThat(object).hasContent("first");
        Path second = Files.writeString(dir.resolve("staged-2"), "second");
        local.put(new ObjectTarget("lake", "a/b/c.json", "STANDARD", null), second);
        assertThat(object).hasContent("second");
        assertThat(staged).exists().hasContent("first");
        // Delivery deletes its staged files once the object is stored: the object stays whole.
        Files.delete(second);
        assertThat(object).hasContent("second");
        try (Stream<Path> left = Files.list(object.getParent())) {
            assertThat(left).containsExactly(object);
        }
        try (Stream<Path> left = Files.list(dir.resolve("channels/TMP"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anObjectIsTheStagedFilesInodeWhereTheFileSystemAllows() throws Exception {
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        Path staged = Files.writeString(dir.resolve("staged"), "bytes written once");
        local.put(new ObjectTarget("lake", "k", null, null), staged);
        Path object = dir.resolve("channels/lake/k");
        assertThat(Files.isSameFile(object, staged)).isTrue();
        assertThat(Files.getAttribute(object, "unix:nlink")).isEqualTo(2);
    }

    @Test
    void keysCannotLeaveTheirBucket() throws Exception {
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        Path staged = Files.writeString(dir.resolve("staged"), "x");
        for (String key : new String[] {"../other/x", "a/../../x", "/etc/x", "", "dir/"}) {
            assertThatThrownBy(() -> local.put(new ObjectTarget("lake", key, null, null), staged))
                    .as(key).isInstanceOf(DestinationException.class);
        }
        assertThatThrownBy(() -> local.put(new ObjectTarget("..", "x", null, null), staged))
                .isInstanceOf(DestinationException.class);
        assertThat(local.checkBucket("lake")).isEqualTo(Destination.BucketCheck.EXISTS);
        assertThat(local.checkBucket("Not_A_Bucket")).isEqualTo(Destination.BucketCheck.MISSING);
        assertThat(dir.resolve("other")).doesNotExist();
    }

    @Test
    void aWriteThatFailsLeavesNoTemporaryFile() throws Exception {
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        Files.createDirectories(dir.resolve("channels/lake/a"));
        Files.writeString(dir.resolve("channels/lake/a/file"), "a file where a directory is needed");
        Path staged = Files.writeString(dir.resolve("staged"), "x");
        assertThatThrownBy(() -> local.put(new ObjectTarget("lake", "a/file/x", null, null), staged))
                .isInstanceOf(DestinationException.class);
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> local.put(new ObjectTarget("lake", "b/x", null, null), missing))
                .isInstanceOf(DestinationException.class);
        try (Stream<Path> left = Files.walk(dir.resolve("channels"))) {
            assertThat(left.filter(p -> p.toString().endsWith(".millrace-tmp"))).isEmpty();
        }
    }

    @Test
    void temporaryFilesAreNeverInABucketAndACrashsLeftOversGoAtStart() throws Exception {
        // What a kill -9 during a write leaves: a temporary file, which must not be in a bucket (users see objects).
        Path temp = Files.createDirectories(dir.resolve("channels/TMP"));
        Path leftOver = Files.writeString(temp.resolve("object-123.millrace-tmp"), "half an object");
        Path unrelated = Files.writeString(temp.resolve("keep"), "not ours");
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        assertThat(leftOver).doesNotExist();
        assertThat(unrelated).exists();

        Path staged = Files.writeString(dir.resolve("staged"), "x");
        java.util.List<Path> seenDuringMove = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread watcher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try (Stream<Path> all = Files.walk(dir.resolve("channels/lake"))) {
                    all.filter(p -> p.toString().endsWith(".millrace-tmp")).forEach(seenDuringMove::add);
                } catch (Exception e) {
                    // A file moved while walked; look again.
                }
            }
        });
        watcher.start();
        try {
            for (int i = 0; i < 200; i++) {
                local.put(new ObjectTarget("lake", "k/" + i, null, null), staged);
            }
        } finally {
            watcher.interrupt();
            watcher.join();
        }
        assertThat(seenDuringMove).as("temporary files inside the buckets' tree").isEmpty();
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left).containsExactly(unrelated);
        }
    }

    @Test
    void aTargetOnAnotherFileSystemIsWrittenThroughAHiddenTemporaryFileBesideIt() throws Exception {
        Path root = dir.resolve("channels");
        List<Path> moved = new CopyOnWriteArrayList<>();
        // As when the bucket directory is a symlink to another file system: no atomic move out of ROOT/TMP.
        LocalFilesDestination local = new LocalFilesDestination(root, (source, target) -> {
            if (source.getParent().equals(root.resolve("TMP"))) {
                throw new AtomicMoveNotSupportedException(source.toString(), target.toString(), "cross-device");
            }
            moved.add(source);
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        });
        Path staged = Files.writeString(dir.resolve("staged"), "across");
        local.put(new ObjectTarget("lake", "a/x.json", null, null), staged);

        Path object = root.resolve("lake/a/x.json");
        assertThat(object).hasContent("across");
        assertThat(moved).singleElement().satisfies(temp -> {
            assertThat(temp.getParent()).isEqualTo(object.getParent());
            assertThat(temp.getFileName().toString()).startsWith(".").endsWith(".millrace-tmp");
        });
        try (Stream<Path> left = Files.walk(root)) {
            assertThat(left.filter(Files::isRegularFile)).containsExactly(object);
        }
    }

    @Test
    void hiddenTemporaryFilesInBucketsAlsoGoAtStartAndObjectsStay() throws Exception {
        Path root = dir.resolve("channels");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere/a"));
        Files.createDirectories(root);
        Files.createSymbolicLink(root.resolve("lake"), dir.resolve("elsewhere"));
        Path hidden = Files.writeString(elsewhere.resolve(".millrace-77.millrace-tmp"), "half an object");
        Path object = Files.writeString(elsewhere.resolve("x.json"), "an object");
        Path lookalike = Files.writeString(elsewhere.resolve("key.millrace-tmp"), "an object too");
        new LocalFilesDestination(root);
        assertThat(hidden).doesNotExist();
        assertThat(object).exists();
        assertThat(lookalike).exists();
    }

    @Test
    void theTemporaryDirectoryIsInsideTheRootUnderANameNoBucketHas() throws Exception {
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        assertThat(dir.resolve("channels/TMP")).isDirectory();
        assertThat(local.checkBucket("TMP")).isEqualTo(Destination.BucketCheck.MISSING);
        assertThat(dir.resolve("channels-tmp")).doesNotExist();
    }
}
