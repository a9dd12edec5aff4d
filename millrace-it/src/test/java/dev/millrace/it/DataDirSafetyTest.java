package dev.millrace.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The data dir as another local user sees it: a server started on a fresh data dir under umask 022 (as most systems
 * set it) creates nothing there that grants its group or others any permission (segments, indexes, checkpoints,
 * metadata, the lock, the TLS certificate and key); a data dir its owner made open to others is left so, with one
 * warning at start. And streams named ".", "..", "..a", "a..b" (the API allows them) are created, written, read and
 * deleted without anything outside the data dir created, changed or deleted; "a/../b" is refused by validation.
 *
 * <p>Not thread-safe; one test.
 */
class DataDirSafetyTest {
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final List<String> DOTTED_NAMES = List.of("..", ".", "..a", "a..b", "...");

    @TempDir
    Path work;

    /** The server under {@code umask 022} whatever this JVM's umask is, with a TLS port (its key in the data dir). */
    private static MillraceProcess startUnderUmask022(Path dataDir) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$@\"", "sh"));
        command.addAll(MillraceProcess.javaJar("256m"));
        command.addAll(List.of("server", "--port", "0", "--host",
                "127.0.0.1", "--data-dir", dataDir.toString(), "--transition-delay-ms", "0", "--tls-port", "0"));
        MillraceProcess server = MillraceProcess.launch(command, null);
        server.awaitReady();
        return server;
    }

    @Test
    void nothingUnderTheDataDirIsOpenToOthersAndNoStreamNameReachesOutsideIt() throws Exception {
        Path parent = Files.createDirectories(work.resolve("parent"));
        Path dataDir = parent.resolve("data");
        // What a stream name escaping the data dir or its shards directory would touch first.
        Files.writeString(parent.resolve("keep"), "x");
        Files.createDirectories(parent.resolve("shards")).resolve("keep").toFile().createNewFile();
        Files.writeString(work.resolve("keep"), "x");
        Map<String, String> outsideBefore = outside(work, dataDir);

        MillraceProcess server = startUnderUmask022(dataDir);
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            for (String name : DOTTED_NAMES) {
                Streams.createActive(kinesis, name, 1);
                kinesis.putRecord(b -> b.streamName(name).partitionKey("k").data(SdkBytes.fromUtf8String(name)));
                String shard = Streams.shards(kinesis, name).get(0).shardId();
                List<Record> read = Streams.readShard(kinesis, name, shard, 10);
                assertThat(read).as(name).extracting(r -> r.data().asUtf8String()).containsExactly(name);
            }
            for (String name : List.of("a/../b", "../x", "a/b", "/")) {
                assertThatThrownBy(() -> kinesis.createStream(b -> b.streamName(name).shardCount(1))).as(name)
                        .isInstanceOfSatisfying(AwsServiceException.class, e -> {
                            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                            assertThat(e.statusCode()).isEqualTo(400);
                        });
            }
            for (String name : List.of("..", ".")) {
                kinesis.deleteStream(b -> b.streamName(name));
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    try {
                        kinesis.describeStreamSummary(b -> b.streamName(name));
                        return false;
                    } catch (ResourceNotFoundException gone) {
                        return true;
                    }
                });
            }
            assertThat(Streams.readShard(kinesis, "..a", "shardId-000000000000", 10)).hasSize(1);
        } finally {
            assertThat(server.stop()).as("exit status of a clean stop").isZero();
        }
        assertThat(outside(work, dataDir)).as("everything outside the data dir").isEqualTo(outsideBefore);

        List<Path> all = tree(dataDir);
        assertThat(all).anyMatch(p -> p.toString().endsWith(".log")).anyMatch(p -> p.endsWith("journal"))
                .anyMatch(p -> p.endsWith("lock")).anyMatch(p -> p.toString().endsWith(".key"));
        for (Path p : all) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            assertThat(mode).as("%s (%s)", p, PosixFilePermissions.toString(mode))
                    .doesNotContainAnyElementsOf(GROUP_OR_OTHERS);
        }
        assertThat(server.output()).doesNotContain("chmod 700");

        // Its owner opens it up: their call; the server says how to undo it and changes nothing.
        Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwxr-x---"));
        MillraceProcess again = startUnderUmask022(dataDir);
        assertThat(again.stop()).isZero();
        assertThat(again.output().lines().filter(l -> l.contains("chmod 700 " + dataDir.toAbsolutePath())))
                .as("warnings naming the data dir").hasSize(1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwxr-x---");
    }

    private static List<Path> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.toList();
        }
    }

    /**
     * Every path under {@code root} but those under {@code excluded}: a file with its size and modification time, a
     * directory as such (its own time changes with any entry made in it, the data dir's included).
     */
    private static Map<String, String> outside(Path root, Path excluded) throws IOException {
        Map<String, String> state = new TreeMap<>();
        for (Path p : tree(root)) {
            if (p.startsWith(excluded)) {
                continue;
            }
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            state.put(root.relativize(p).toString(), a.isDirectory() ? "dir"
                    : "file " + a.size() + " " + a.lastModifiedTime().toMillis());
        }
        return state;
    }
}
