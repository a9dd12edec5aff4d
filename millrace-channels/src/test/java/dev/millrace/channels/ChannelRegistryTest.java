package dev.millrace.channels;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The registry on a real metadata store: limits, the writer rule, checks off the caller's thread, the stored form. */
class ChannelRegistryTest {
    private static final Account ACCOUNT = new Account("eu-west-1", "123456789012");
    private static final String STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/";

    @TempDir
    Path dir;
    private FileMetadataStore metadata;
    private final ManualClock clock = new ManualClock(1_800_000_000_000L);
    private final ExecutorService checks = Executors.newSingleThreadExecutor();
    private final StreamAccess streams = name -> Optional.of(new StreamAccess.StreamInfo(name, STREAM_ARN + name,
            1_700_000_000_000L, "ACTIVE", true, null));

    @BeforeEach
    void open() {
        metadata = FileMetadataStore.open(dir);
    }

    @AfterEach
    void close() throws InterruptedException {
        checks.shutdownNow();
        checks.awaitTermination(5, TimeUnit.SECONDS);
        metadata.close();
    }

    private ChannelRegistry registry(AtomicBoolean writer, DestinationCheck check, int limit) {
        return new ChannelRegistry(metadata, ACCOUNT, streams, clock, 1_000, writer::get, checks, check, limit);
    }

    private static ChannelRequest s3(String name, String stream) {
        return new ChannelRequest(name, "arn:aws:iam::123456789012:role/r",
                List.of(new ChannelRequest.StreamConfig(STREAM_ARN + stream, "STRING", null)),
                new ChannelRequest.S3Request(null, null, new Channel.S3Storage("arn:aws:s3:::bucket",
                        "123456789012", "ZSTD", null, "out/!{stream-name}/!{yyyy}!{extension}")), null, null, null,
                Map.of("k", "v"));
    }

    @Test
    void aStoredChannelThatCannotBeReadIsLeftOutAndStopsNoOtherChannel() {
        ChannelRegistry r = registry(new AtomicBoolean(true), DestinationCheck.BUILT_IN, 10);
        Channel a = r.create(s3("a", "s1"));
        metadata.commit(Map.of("channel/zzzzzzzzzzzzzzzzzzzz", "{\"stream\": 42".getBytes(StandardCharsets.UTF_8),
                "channel/yyyyyyyyyyyyyyyyyyyy", "{}".getBytes(StandardCharsets.UTF_8)));

        assertThat(r.list()).extracting(Channel::name).containsExactly("a");
        r.settleDue();
        assertThat(r.describe(r.arn(a)).name()).isEqualTo("a");
        assertThatThrownBy(() -> r.describe("arn:aws:kinesis:eu-west-1:123456789012:channel/zzzzzzzzzzzzzzzzzzzz"))
                .isInstanceOf(KinesisException.class).hasMessageContaining("cannot read")
                .extracting(e -> ((KinesisException) e).errorType()).isEqualTo("InternalFailure");
        r.create(s3("b", "s2"));
        assertThat(r.list()).extracting(Channel::name).containsExactly("a", "b");
    }

    @Test
    void theAccountLimitCountsEveryChannelOfTheRegion() {
        ChannelRegistry r = registry(new AtomicBoolean(true), DestinationCheck.BUILT_IN, 2);
        r.create(s3("a", "s1"));
        r.create(s3("b", "s2"));
        assertThatThrownBy(() -> r.create(s3("c", "s3"))).isInstanceOf(KinesisException.class)
                .hasMessageContaining("channel limit").hasMessageContaining("Limit: 2")
                .extracting(e -> ((KinesisException) e).errorType()).isEqualTo("LimitExceededException");
    }

    @Test
    void aChannelStaysCreatingUntilItsCheckAnswersOnAnotherThread() {
        CompletableFuture<Optional<String>> answer = new CompletableFuture<>();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        ChannelRegistry r = registry(new AtomicBoolean(true), c -> {
            ranOn.complete(Thread.currentThread());
            return answer.join();
        }, 10);
        Channel c = r.create(s3("waits", "s1"));
        clock.advanceMs(5_000);
        assertThat(r.describe(r.arn(c)).status()).isEqualTo(ChannelStatus.CREATING);
        assertThat(ranOn.join()).isNotSameAs(Thread.currentThread());
        answer.complete(Optional.empty());
        await().atMost(5, TimeUnit.SECONDS).until(() -> r.describe(r.arn(c)).status() == ChannelStatus.ACTIVE);
        assertThat(r.describe(r.arn(c)).activatedMs()).isEqualTo(clock.millis());
    }

    @Test
    void aFollowerShowsWhatIsStoredAndSettlesNothing() {
        AtomicBoolean writer = new AtomicBoolean(false);
        ChannelRegistry leader = registry(new AtomicBoolean(true), c -> Optional.empty(), 10);
        ChannelRegistry follower = registry(writer, c -> Optional.empty(), 10);
        Channel c = leader.create(s3("f", "s1"));
        clock.advanceMs(5_000);
        follower.settleDue();
        assertThat(follower.describe(follower.arn(c)).status()).isEqualTo(ChannelStatus.CREATING);
        writer.set(true);
        await().atMost(5, TimeUnit.SECONDS).until(() -> follower.describe(follower.arn(c)).status()
                == ChannelStatus.ACTIVE);
    }

    @Test
    void theStoredFormRoundTripsEveryMember() {
        ChannelRegistry r = registry(new AtomicBoolean(true), DestinationCheck.BUILT_IN, 10);
        Channel c = r.create(s3("stored", "s1"));
        Channel read = ChannelCodec.decode(ChannelCodec.encode(c));
        assertThat(read).isEqualTo(c);
        assertThat(c.destination().deadLetters().errorOutputPrefix())
                .isEqualTo("kinesis-channel/errors/stored/" + c.id() + "/");
        assertThat(r.arn(c)).isEqualTo("arn:aws:kinesis:eu-west-1:123456789012:channel/" + c.id());
        Channel table = new Channel("t1", "t", ChannelStatus.FAILED, "why", 1, 2, 3, "role",
                new Channel.Stream("arn", "s", 4, "GSR_JSON", "schema"),
                new Channel.Destination(DestinationType.S3_TABLES, 900, new Channel.DeadLetterQueue("b", "o", "p/"),
                        null, new Channel.Table("tb", "ns", "tn", "SNAPPY",
                        List.of(new Channel.PartitionField("TIME_HOUR", "ts")))),
                new Channel.Encryption("KMS", "key"), new Channel.Logging(true, "g", "s"), new java.util.TreeMap<>());
        assertThat(ChannelCodec.decode(ChannelCodec.encode(table))).isEqualTo(table);
    }

    @Test
    void aTemplateTooLongOnceExpandedIsRefused() {
        ChannelRegistry r = registry(new AtomicBoolean(true), DestinationCheck.BUILT_IN, 10);
        String name = "n".repeat(128);
        String template = "!{channel-name}/".repeat(8) + "!{extension}";
        ChannelRequest request = new ChannelRequest(name, "arn:aws:iam::123456789012:role/r",
                List.of(new ChannelRequest.StreamConfig(STREAM_ARN + "s", "JSON", null)),
                new ChannelRequest.S3Request(null, null, new Channel.S3Storage("arn:aws:s3:::bucket", "123456789012",
                        "GZIP", null, template)), null, null, null, Map.of());
        assertThatThrownBy(() -> r.create(request)).hasMessageContaining("986");
    }

    @Test
    void everyStateChangeIsOneInfoLineWithItsFields() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(ChannelLog.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
                new ch.qos.logback.core.read.ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            ChannelRegistry r = registry(new AtomicBoolean(true), c -> Optional.of("Bucket missing."), 10);
            Channel c = r.create(s3("logged", "s1"));
            clock.advanceMs(1_000);
            await().atMost(5, TimeUnit.SECONDS).until(() -> r.describe(r.arn(c)).status() == ChannelStatus.FAILED);
            r.delete(r.arn(c));
            clock.advanceMs(1_000);
            r.settleDue();
            assertThat(lines.list).extracting(e -> e.getKeyValuePairs().get(0).value)
                    .containsExactly("channel-created", "channel-failed", "channel-deleting", "channel-deleted");
            assertThat(lines.list).allSatisfy(e -> assertThat(e.getLevel().toString()).isEqualTo("INFO"));
            assertThat(lines.list.get(1).getFormattedMessage()).isEqualTo("Channel logged of stream s1 failed: "
                    + "Bucket missing. (" + r.arn(c) + ", account 123456789012, region eu-west-1)");
            assertThat(lines.list.get(0).getKeyValuePairs()).extracting(kv -> kv.key)
                    .contains("event", "channel", "arn", "stream", "account", "region");
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void activeAndUpdatingChannelsDeliverFromWhenTheyBecameActive() {
        ChannelRegistry r = registry(new AtomicBoolean(true), c -> Optional.empty(), 10);
        Channel c = r.create(s3("d", "s1"));
        assertThat(r.delivering()).isEmpty();
        clock.advanceMs(1_000);
        await().atMost(5, TimeUnit.SECONDS).until(() -> !r.delivering().isEmpty());
        long activeFrom = clock.millis();
        r.update(r.arn(c), 600, null, null);
        clock.advanceMs(200);
        assertThat(r.delivering()).singleElement().satisfies(d -> {
            assertThat(d.status()).isEqualTo(ChannelStatus.UPDATING);
            assertThat(d.activatedMs()).isEqualTo(activeFrom);
            assertThat(d.destination().freshnessSeconds()).isEqualTo(600);
        });
        clock.advanceMs(1_000);
        assertThat(r.delivering()).singleElement().satisfies(d -> assertThat(d.activatedMs()).isEqualTo(activeFrom));
        r.delete(r.arn(c));
        assertThat(r.delivering()).isEmpty();
    }
}
