package dev.millrace.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract with {@code KinesisAsyncClient} on the Netty NIO client, which speaks HTTP/2 with prior knowledge over
 * {@code http://} (CBOR, like the sync default). Calls go through {@link Clients#blocking}; one test also sends many
 * at once, multiplexed on the connection.
 */
class AsyncHttp2KinesisTest extends KinesisApiContract {
    private KinesisAsyncClient async;

    @Override
    protected KinesisClient newClient(URI endpoint, Clients.Recorder recorder) {
        async = Clients.async(endpoint, recorder);
        return Clients.blocking(async);
    }

    @Override
    protected String wireContentType() {
        return Clients.CBOR;
    }

    /** The root pom imports Netty 4.2 for the server; this module must give the SDK the 4.1 it is built for. */
    @Test
    void sdkRunsOnTheNettyItWasBuiltFor() {
        assertThat(io.netty.util.Version.identify().get("netty-codec-http2").artifactVersion()).startsWith("4.1.");
    }

    @Test
    @Tag(RECORDS)
    void callsGoOverHttp2() {
        kinesis.listStreams();
        kinesis.describeLimits();
        assertThat(recorder.httpClients).contains("NettyNio");
        assertThat(recorder.calls.get()).isPositive();
        assertThat(recorder.http2Calls.get()).as("calls with HTTP/2 stream metrics").isEqualTo(recorder.calls.get());
    }

    @Test
    @Tag(RECORDS)
    void manyConcurrentCallsOverHttp2() {
        String name = "concurrent-s";
        Streams.createActive(kinesis, name, 2);
        List<CompletableFuture<PutRecordResponse>> calls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String n = Integer.toString(i);
            calls.add(async.putRecord(b -> b.streamName(name).partitionKey("k" + n).data(SdkBytes.fromUtf8String(n))));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        Map<String, String> sequenceOf = new HashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            sequenceOf.put(Integer.toString(i), calls.get(i).join().sequenceNumber());
        }
        List<Record> read = new ArrayList<>();
        Streams.shards(kinesis, name).forEach(s -> read.addAll(Streams.readShard(kinesis, name, s.shardId(), 1000)));
        assertThat(read.stream().collect(Collectors.toMap(r -> r.data().asUtf8String(), Record::sequenceNumber)))
                .isEqualTo(sequenceOf);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    /** The async client's own paginator: a publisher of ListStreams pages, following NextToken over HTTP/2. */
    @Test
    void listStreamsPublisherPagesToTheEnd() throws Exception {
        List<String> mine = List.of("publisher-a", "publisher-b", "publisher-c", "publisher-d", "publisher-e");
        mine.forEach(n -> kinesis.createStream(b -> b.streamName(n).shardCount(1)));
        List<ListStreamsResponse> pages = new CopyOnWriteArrayList<>();
        async.listStreamsPaginator(b -> b.limit(2)).subscribe(pages::add).get(60, TimeUnit.SECONDS);
        assertThat(pages).hasSizeGreaterThanOrEqualTo(3);
        assertThat(pages).allSatisfy(p -> assertThat(p.streamNames()).hasSizeLessThanOrEqualTo(2));
        assertThat(pages.subList(0, pages.size() - 1)).allSatisfy(p -> assertThat(p.hasMoreStreams()).isTrue());
        assertThat(pages.get(pages.size() - 1).hasMoreStreams()).isFalse();
        List<String> names = pages.stream().flatMap(p -> p.streamNames().stream()).toList();
        assertThat(names).doesNotHaveDuplicates().isSorted().containsAll(mine);
        List<String> flat = new CopyOnWriteArrayList<>();
        async.listStreamsPaginator(b -> b.limit(2)).streamNames().subscribe(flat::add).get(60, TimeUnit.SECONDS);
        assertThat(flat).isEqualTo(names);
        mine.forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
    }
}
