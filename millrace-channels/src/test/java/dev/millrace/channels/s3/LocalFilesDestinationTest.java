package dev.millrace.channels.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.s3.Destination.ObjectTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFilesDestinationTest {

    @TempDir
    Path dir;

    @Test
    void objectsAreFilesUnderBucketAndKeyAndAnOverwriteReplaces() throws Exception {
        LocalFilesDestination local = new LocalFilesDestination(dir.resolve("channels"));
        Path staged = Files.writeString(dir.resolve("staged"), "first");
        local.put(new ObjectTarget("lake", "a/b/c.json", "STANDARD", null), staged);
        Path object = dir.resolve("channels/lake/a/b/c.json");
        assertThat(object).hasContent("first");
        Files.writeString(staged, "second");
        local.put(new ObjectTarget("lake", "a/b/c.json", "STANDARD", null), staged);
        assertThat(object).hasContent("second");
        assertThat(staged).exists();
        try (Stream<Path> left = Files.list(object.getParent())) {
            assertThat(left).containsExactly(object);
        }
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
        assertThat(local.bucketExists("lake")).isTrue();
        assertThat(local.bucketExists("Not_A_Bucket")).isFalse();
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
}
