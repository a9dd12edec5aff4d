package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image of the {@code container} profile (millrace-app's pom, Jib), run for real with podman: a named
 * volume as {@code /data}, ready on {@code /health/ready}, a stream created and a record put and read with the AWS
 * SDK, a stop by SIGTERM that exits 0, and a second container on the same volume that still has the record. The
 * server runs as a user that is not root, and the named volume is that user's, mode 700 (no warning at start that the
 * data dir is open to others). The
 * health check the README documents ({@code millrace health}, run by podman's {@code healthcheck run}) must say
 * healthy while the node is up, and {@code millrace health} must fail where nothing answers.
 *
 * <p>The image is built by the reactor with {@code -Pcontainer} ({@code ./verify} adds it, on a base made from this
 * machine's JRE, where podman can run a container). Skipped, saying why, where the image was not built or podman cannot
 * run it: that is detected by running one, not guessed. On these machines podman runs containers only with runc,
 * cgroupfs cgroups and explicit ulimits; the server's port 4567 is published on a free port of the host's 127.0.0.1,
 * as in the README's {@code docker run}.
 *
 * <p>Not thread-safe; JUnit runs the test once.
 */
class ContainerImageTest {
    private static final Path REPO = Path.of(System.getProperty("millrace.repo", ".."));
    private static final Path IMAGE_TAR = REPO.resolve("millrace-app/target/millrace-image.tar");
    private static final Path BASE_LOG = REPO.resolve("millrace-app/target/container-base.log");
    private static final Path LOGS = Path.of(System.getProperty("millrace.it.logs", "target/millrace-logs"));
    private static final long PODMAN_TIMEOUT_S = 120;
    /** The health check of the README's docker run and Compose examples, in exec form (the base has no shell). */
    private static final String HEALTH_CMD =
            "[\"java\",\"-cp\",\"@/app/jib-classpath-file\",\"dev.millrace.app.MillraceMain\",\"health\"]";

    /** The user the image runs the server as (millrace-app's pom), and owner of its {@code /data}. */
    private static final String SERVER_USER = "10001:10001";

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String volume = "millrace-it-" + suffix;
    private final List<String> containers = new ArrayList<>();
    private static String podman;
    private static String image;
    /** Why the tests cannot run here, or null; each test is skipped with it, so that the reports say why. */
    private static String skipReason;

    @BeforeAll
    static void loadImage() throws Exception {
        skipReason = imageThatRuns();
    }

    @BeforeEach
    void skipWhereItCannotRun() {
        assumeTrue(skipReason == null, skipReason);
    }

    /** Loads the image into podman and runs it once; null if that worked, else why the tests cannot run here. */
    private static String imageThatRuns() throws Exception {
        if (!Files.isRegularFile(IMAGE_TAR)) {
            return "no container image at " + IMAGE_TAR + ": it is built with -Pcontainer, which ./verify adds where "
                    + "podman can run a container (see " + BASE_LOG + ")";
        }
        // A build without -Pcontainer leaves the last image in target/: that would test old code.
        Path jar = Path.of(System.getProperty("millrace.jar", REPO.resolve("millrace-app/target/millrace.jar")
                .toString()));
        if (Files.isRegularFile(jar)
                && Files.getLastModifiedTime(IMAGE_TAR).compareTo(Files.getLastModifiedTime(jar)) < 0) {
            return IMAGE_TAR + " is older than " + jar + ": a build without -Pcontainer left it; build with "
                    + "-Pcontainer (./verify does) to test the image of this code";
        }
        podman = onPath("podman");
        if (podman == null) {
            return "podman is not installed (apt-get install -y podman runc)";
        }
        ExternalCommand.Result load = podman(List.of("load", "-i", IMAGE_TAR.toString()));
        assertThat(load.exitCode()).as("podman load: %s", load.stderr()).isZero();
        // "Loaded image: localhost/millrace:0.1.0-SNAPSHOT" (podman 4) or "Loaded image(s): ..." (older)
        String loaded = load.stdout().strip();
        image = loaded.substring(loaded.lastIndexOf(": ") + 2).split("[,\\s]")[0];
        ExternalCommand.Result probe = podman(runArgs("--rm", "--entrypoint", "java", image, "-version"));
        return probe.exitCode() == 0 ? null : "podman cannot run a container here: " + probe.stderr();
    }

    @AfterEach
    void removeContainersAndVolume() throws Exception {
        for (String name : containers) {
            podman(List.of("rm", "-f", name));
        }
        if (podman != null) {
            podman(List.of("volume", "rm", "-f", volume));
        }
    }

    /** Each build loads its own image; the tag of the last one would otherwise leave the previous one dangling. */
    @AfterAll
    static void removeImage() throws Exception {
        if (image != null) {
            podman(List.of("rmi", "-f", image));
        }
    }

    @Test
    void keepsItsRecordsOnTheVolumeAcrossAStopBySigterm() throws Exception {
        int port = freePort();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        String first = start("first", port);
        awaitReady(endpoint);
        ExternalCommand.Result health = podman(List.of("healthcheck", "run", first));
        assertThat(health.exitCode()).as("healthcheck: %s %s", health.stdout(), health.stderr()).isZero();
        String data = "in the volume " + suffix;
        String sequence;
        try (KinesisClient kinesis = Clients.syncRetrying(endpoint, 3)) {
            Streams.createActive(kinesis, "boxed", 1);
            sequence = kinesis.putRecord(b -> b.streamName("boxed").partitionKey("p")
                    .data(SdkBytes.fromString(data, StandardCharsets.UTF_8))).sequenceNumber();
            assertThat(readAll(kinesis)).extracting(Record::sequenceNumber).containsExactly(sequence);
        }
        String firstLog = stopBySigterm(first);
        assertThat(firstLog).as("the data dir of the image is the server's, mode 700")
                .doesNotContain("open to other users").doesNotContain("AccessDenied");
        assertServerUserOwnsTheVolume();

        String second = start("second", port);
        awaitReady(endpoint);
        try (KinesisClient kinesis = Clients.syncRetrying(endpoint, 3)) {
            List<Record> after = readAll(kinesis);
            assertThat(after).extracting(Record::sequenceNumber).containsExactly(sequence);
            assertThat(after.get(0).data().asUtf8String()).isEqualTo(data);
        }
        stopBySigterm(second);
    }

    @Test
    void theHealthCommandFailsWhereNoNodeAnswers() throws Exception {
        int closed = freePort();
        ExternalCommand.Result health = podman(runArgs("--rm", image, "health", "--port", String.valueOf(closed),
                "--timeout-ms", "2000"));
        assertThat(health.exitCode()).as("stdout %s stderr %s", health.stdout(), health.stderr()).isEqualTo(1);
        assertThat(health.stderr()).contains("no answer from http://127.0.0.1:" + closed + "/health/ready");
    }

    /** Starts a detached container of the image on the volume, its port 4567 published on 127.0.0.1:{@code port}. */
    private String start(String role, int port) throws Exception {
        String name = "millrace-it-" + role + "-" + suffix;
        containers.add(name);
        ExternalCommand.Result run = podman(runArgs("-d", "--name", name, "-v", volume + ":/data",
                "-p", "127.0.0.1:" + port + ":4567", "--health-cmd", HEALTH_CMD, "--health-interval", "disable", image));
        assertThat(run.exitCode()).as("podman run: %s", run.stderr()).isZero();
        return name;
    }

    /**
     * The server runs as {@link #SERVER_USER}, not root, and the named volume (a copy of the image's {@code /data} at
     * its first mount) is that user's, mode 700, with the server's files in it: written by a user that is not root.
     */
    private void assertServerUserOwnsTheVolume() throws Exception {
        ExternalCommand.Result user = podman(List.of("image", "inspect", "--format", "{{.Config.User}}", image));
        assertThat(user.stdout().strip()).as("the image's user").isEqualTo(SERVER_USER);
        ExternalCommand.Result mount = podman(List.of("volume", "inspect", "--format", "{{.Mountpoint}}", volume));
        assertThat(mount.exitCode()).as("volume inspect: %s", mount.stderr()).isZero();
        Path root = Path.of(mount.stdout().strip());
        Map<String, Object> attributes = Files.readAttributes(root, "unix:uid,gid,mode");
        assertThat(attributes.get("uid")).as("owner of the volume").isEqualTo(10001);
        assertThat(attributes.get("gid")).as("group of the volume").isEqualTo(10001);
        assertThat((Integer) attributes.get("mode") & 0777).as("mode of the volume").isEqualTo(0700);
        try (var files = Files.list(root)) {
            List<Path> written = files.toList();
            assertThat(written).as("the server's files in the volume").isNotEmpty();
            for (Path file : written) {
                assertThat(Files.getAttribute(file, "unix:uid")).as("owner of %s", file).isEqualTo(10001);
            }
        }
    }

    /**
     * podman stop sends SIGTERM (the image's stop signal) and waits; the server drains, flushes and exits 0.
     * Returns the container's log.
     */
    private String stopBySigterm(String name) throws Exception {
        ExternalCommand.Result stop = podman(List.of("stop", "-t", "60", name));
        assertThat(stop.exitCode()).as("podman stop: %s", stop.stderr()).isZero();
        ExternalCommand.Result logs = podman(List.of("logs", name));
        Files.createDirectories(LOGS);
        Files.writeString(LOGS.resolve("ContainerImageTest-" + name + ".log"), logs.stdout() + logs.stderr());
        // A server that ignored SIGTERM would be killed after the 60 s (137); one that failed to close, 1.
        ExternalCommand.Result state = podman(List.of("inspect", "--format", "{{.State.ExitCode}}", name));
        assertThat(state.stdout().strip()).as("exit code; log: %s", logs.stdout() + logs.stderr()).isEqualTo("0");
        return logs.stdout() + logs.stderr();
    }

    private static void awaitReady(URI endpoint) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(endpoint.resolve("/health/ready")).timeout(Duration.ofSeconds(2))
                .build();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    private static List<Record> readAll(KinesisClient kinesis) {
        String shardId = Streams.shards(kinesis, "boxed").get(0).shardId();
        return Streams.readShard(kinesis, "boxed", shardId, 100);
    }

    /** {@code podman run} with the options these machines need, then {@code rest}. */
    private static List<String> runArgs(String... rest) {
        List<String> args = new ArrayList<>(List.of("run",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"));
        args.addAll(List.of(rest));
        return args;
    }

    private static ExternalCommand.Result podman(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(podman, "--runtime", "runc", "--cgroup-manager", "cgroupfs"));
        command.addAll(args);
        return ExternalCommand.run(command, REPO, Map.of(), PODMAN_TIMEOUT_S);
    }

    private static String onPath(String program) {
        for (String dir : System.getenv("PATH").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
