package dev.millrace.server;

import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.channels.ChannelRegistry;
import dev.millrace.glue.GlueApi;
import dev.millrace.glue.SchemaLookup;
import dev.millrace.metrics.AccountMetrics;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.metrics.PrometheusExposition;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.ChannelStreams;
import dev.millrace.server.channels.ChannelDelivery;
import dev.millrace.server.channels.StreamShards;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.Regions;
import dev.millrace.server.cluster.ClusterCalls;
import dev.millrace.server.cluster.ClusterMetrics;
import dev.millrace.server.cluster.ClusterPlacement;
import dev.millrace.server.cluster.ClusterSubscriptions;
import dev.millrace.server.cluster.ClusterTraffic;
import dev.millrace.server.fanout.SubscriptionClaims;
import dev.millrace.server.cluster.ShardOwners;
import dev.millrace.server.records.ShardPlacement;
import dev.millrace.server.records.StreamKeys;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpServer;
import dev.millrace.server.http.PerAccount;
import dev.millrace.server.http.TlsCertificates;
import dev.millrace.lambda.poll.MappingEngine;
import dev.millrace.server.lambda.EventSourceMappings;
import dev.millrace.protocol.Account;
import dev.millrace.server.security.AuthMode;
import dev.millrace.server.security.PolicyGatekeeper;
import dev.millrace.server.security.RequestAuthenticator;
import dev.millrace.server.security.ServerIdentities;
import dev.millrace.server.state.AccountSettings;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.ConsumerRegistry;
import dev.millrace.server.state.RegionMetadata;
import dev.millrace.server.state.ResourcePolicies;
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.sts.StsApi;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Storage;
import dev.millrace.storage.log.EmbeddedLogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A running Millrace node: stream state per region, the API and its HTTP listener, wired together on the storage it
 * is given.
 *
 * <p>{@link #start} and {@link #close} are called from one controlling thread; everything else is thread-safe.
 */
public final class MillraceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MillraceServer.class);
    private static final String ITERATOR_KEY = "meta/iteratorKey";
    private static final int FAN_OUT_THREADS = 4;
    /** Appends in flight at once across PutRecords calls; the threads mostly wait for fsync, not for a core. */
    private static final int APPEND_THREADS = 64;
    /** Channel transitions are short commits; destination checks may wait on the network, so two threads. */
    private static final int CHANNEL_THREADS = 2;
    /** How often ended minutes of metrics go to their sink: a minute is out this long after its grace at most. */
    private static final long METRICS_PUBLISH_INTERVAL_MS = 5_000;
    /** How long a node of a cluster waits at start for a writer to be elected and make the cluster's secret. */
    private static final long FIRST_WRITER_WAIT_MS = 60_000;

    private final ServerConfig config;
    private final Clock clock;
    private final Supplier<Storage> storageOpener;
    private Storage storage;
    private LogStore logs;
    private MetadataStore metadata;
    private Cluster cluster;
    /** Both null on a node alone on its storage. */
    private ClusterCalls clusterCalls;
    private ClusterPlacement placement;
    private ClusterSubscriptions subscriptions;
    private ExecutorService apiExecutor;
    private ThreadPoolExecutor appendExecutor;
    /** Channels' transitions and destination checks, off the API threads; made with the first region's services. */
    private ScheduledExecutorService channelWork;
    /** Delivery of every region's channels; made before the regions, whose registries check destinations with it. */
    private ChannelDelivery channelDelivery;
    private EventSourceMappings eventSourceMappings;
    /** Every region's streams by ARN, for channel delivery and Lambda's event source mappings. */
    private StreamShards streamShards;
    private ScheduledExecutorService housekeeping;
    /** The writer's collection of the other nodes' metrics; null on a node alone. */
    private ScheduledExecutorService metricsCollector;
    private HttpServer http;
    private ScheduledExecutorService fanOutExecutor;
    private final List<FanOut> fanOuts = new CopyOnWriteArrayList<>();
    private Regions regions;
    private InetSocketAddress address;
    private InetSocketAddress tlsAddress;
    private InetSocketAddress metricsAddress;
    private final KinesisMetrics kinesisMetrics;
    private PrometheusExposition exposition;
    /** A cluster's nodes hand their metrics' minutes to the writer's CloudWatch; null on a node alone. */
    private ClusterMetrics clusterMetrics;
    private InitialStreams initialStreams = new InitialStreams(List.of());
    /** Set when {@link #close} begins: a node that is stopping is no longer ready. */
    private volatile boolean stopping;
    private volatile boolean storageOpen;

    /**
     * A node on the storage {@code storageOpener} opens at {@link #start} (the application chooses the backend; the
     * server never does) and closes at {@link #close}.
     */
    public MillraceServer(ServerConfig config, Clock clock, Supplier<Storage> storageOpener) {
        this.config = config;
        this.clock = clock;
        this.storageOpener = storageOpener;
        this.kinesisMetrics = new KinesisMetrics(clock, MinuteSink.NONE);
    }

    /**
     * This node's AWS/Kinesis metrics: {@link KinesisMetrics#useSink} connects where each ended minute goes (the
     * CloudWatch store); before that they are only shown on {@code GET /metrics}.
     */
    public KinesisMetrics kinesisMetrics() {
        return kinesisMetrics;
    }

    /**
     * The streams to have at start ({@code --create-stream}), in the server's own account and default region; call
     * before {@link #start}. See {@link InitialStreams}: created if missing (by the metadata writer), and the node is
     * not ready ({@code /health/ready}) until they are ACTIVE.
     */
    public void createAtStart(List<InitialStreams.Spec> streams) {
        initialStreams = new InitialStreams(streams);
    }

    /**
     * Opens storage, joins the cluster if there is one, opens the regions, starts housekeeping and opens the ports, in
     * that order; returns the API port's address.
     */
    public InetSocketAddress start() throws InterruptedException {
        openStorage();
        onBecomingWriter();
        byte[] secret = awaitIteratorKey();
        ShardIterators iterators = new ShardIterators(secret, clock);
        if (cluster != Cluster.solo()) {
            joinCluster(secret, iterators);
        }
        openRegions(iterators);
        KinesisApi api = new KinesisApi(ApiModel.kinesis(), regions::router, home());
        if (placement != null) {
            api.place(placement);
        }
        PolicyGatekeeper gatekeeper = new PolicyGatekeeper(clock);
        RequestAuthenticator authenticator = null;
        if (config.security().auth() == AuthMode.SIGV4) {
            ServerIdentities identities = config.security().identities();
            authenticator = new RequestAuthenticator(identities, clock);
            // A call may address another account's stream by ARN only if that account is one of the identities'.
            api.secure(gatekeeper, identities::hasAccount);
        }
        // A bounded queue sheds load: past it the HTTP handler answers 503 at once (see HttpLimits).
        apiExecutor = new ThreadPoolExecutor(config.apiThreads(), config.apiThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.http().maxQueuedRequests()), named("millrace-api"));
        startHousekeeping(api);
        listen(api, gatekeeper, authenticator);
        return address;
    }

    /** Storage, and what shows it: the Prometheus exposition (with the embedded engine's fsync latencies). */
    private void openStorage() {
        storage = storageOpener.get();
        storageOpen = true;
        logs = storage.logs();
        metadata = storage.metadata();
        cluster = storage.cluster();
        exposition = new PrometheusExposition(kinesisMetrics, new StorageStats(logs, () -> regions == null
                ? List.of() : regions.all()));
        if (logs instanceof EmbeddedLogStore embedded) {
            embedded.observeFsyncs(exposition.fsyncNanos()::accept);
        }
    }

    /** What a node does when it becomes the metadata writer (a node alone is one from the start). */
    private void onBecomingWriter() {
        // The first writer makes the secret; every node of a cluster signs iterators and forwarded calls with it.
        cluster.onRoleChange(writer -> {
            if (writer) {
                iteratorKey();
                if (regions != null) {
                    // Every region with anything stored, also those only other nodes served so far, so that the
                    // housekeeping covers them; then what a writer that died left half done (a split sealed in
                    // metadata but not in its logs).
                    regions.openAll(RegionMetadata.storedScopes(metadata, home().id()));
                    eachRegion(s -> s.streams().recover());
                }
            }
        });
    }

    /** Calls between nodes, the placement of reads on shard owners, subscriptions and metrics across the cluster. */
    private void joinCluster(byte[] secret, ShardIterators iterators) {
        clusterCalls = new ClusterCalls(cluster, secret, metadata::version);
        clusterMetrics = new ClusterMetrics();
        ShardOwners owners = new ShardOwners(cluster);
        placement = new ClusterPlacement(clusterCalls, owners, iterators, clock);
        subscriptions = new ClusterSubscriptions(cluster, clusterCalls, owners, new SubscriptionClaims(clock),
                scope -> regions.services(scope).fanOut());
        clusterCalls.serve(peer(subscriptions));
        cluster.onMembershipChange(() -> {
            // Shards move with the live set: subscriptions of dead nodes hold nothing, and what this node knew of
            // a shard's end from its own appends must be learned again.
            subscriptions.forgetDeadNodes();
            if (regions != null) {
                eachRegion(s -> s.streams().releaseLogs());
            }
        });
    }

    /** The threads the regions share, and the regions: the own account's home one and every one with data. */
    private void openRegions(ShardIterators iterators) {
        fanOutExecutor = FanOut.newExecutor(FAN_OUT_THREADS);
        appendExecutor = new ThreadPoolExecutor(APPEND_THREADS, APPEND_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), named("millrace-append"));
        appendExecutor.allowCoreThreadTimeOut(true);
        // The metadata writer delivers every shard of every channel (only it commits checkpoints), reading each log
        // here directly, also the shards other nodes own and append to (the engine asks their ends afresh when idle).
        streamShards = new StreamShards(scope -> regions.services(scope));
        channelDelivery = new ChannelDelivery(config.channels(), config.dataDir(), metadata, home().id(),
                streamShards, () -> regions.all().stream().map(ApiServices::channels).toList(), cluster::isWriter,
                clock, kinesisMetrics, schemaRegistries());
        regions = new Regions(scope -> regionServices(scope, iterators));
        regions.openAll(List.of(home()));
        regions.openAll(RegionMetadata.storedScopes(metadata, home().id()));
    }

    /**
     * The Glue Schema Registry of each account's region as channels resolve their GSRSchemaARN through it: the same
     * keys the Glue API serves ({@code Apis.withGlue}), read-only here. A second GlueApi per account beside that
     * one's on purpose: a GlueApi holds no state of its own (its registry is the metadata store's keys, read without a
     * lock; its one lock only orders its own changes, which are compare-and-swap commits anyway, and this one makes
     * none), so sharing the API's instances would only tie the channel delivery to the HTTP layer's wiring.
     */
    private Function<Account, SchemaLookup> schemaRegistries() {
        String ownId = home().id();
        Map<Account, SchemaLookup> byAccount = new ConcurrentHashMap<>();
        return account -> byAccount.computeIfAbsent(account, a -> new GlueApi(
                RegionMetadata.of(metadata, a, ownId), clock, a.region(), a.id()));
    }

    /** The periodic work: transitions, --create-stream, retention, metrics, on-demand scaling. */
    private void startHousekeeping(KinesisApi api) {
        housekeeping = Executors.newSingleThreadScheduledExecutor(named("millrace-housekeeping"));
        // Housekeeping changes metadata, so in a cluster only the writer does it, once for everyone.
        housekeeping.scheduleWithFixedDelay(periodic("stream transitions", () -> onWriter(s -> {
            s.streams().settleDue();
            s.consumers().settleDue();
        })), 100, 100, TimeUnit.MILLISECONDS);
        if (!initialStreams.done()) {
            ApiServices homeServices = regions.services(home());
            InitialStreams.Creator creator = spec -> createStream(api, spec);
            Runnable ensure = () -> initialStreams.tick(homeServices.streams()::find, cluster.isWriter(), creator);
            // Before the port opens, so that with no transition delay they are ACTIVE when the node says it listens.
            ensure.run();
            housekeeping.scheduleWithFixedDelay(periodic("streams of --create-stream", ensure), 100, 100,
                    TimeUnit.MILLISECONDS);
        }
        // Each region's engine runs its mappings (on the writer only: it settles their states, commits checkpoints).
        eventSourceMappings = new EventSourceMappings(metadata, home().id(), streamShards, config.functions(),
                channelDelivery.destination(), config.dataDir().resolve("lambda-staging"), cluster::isWriter, clock,
                regions::services,
                MappingEngine.Options.defaults().withInvocationTimeout(config.functions().timeout()), kinesisMetrics);
        housekeeping.scheduleWithFixedDelay(periodic("event source mappings", () -> eachRegion(s ->
                eventSourceMappings.refresh(s.streams().account()))), 0, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(periodic("retention", () -> onWriter(s -> s.streams().trimExpired())),
                60, 60, TimeUnit.SECONDS);
        // Every node publishes its own metrics: each counts what it answered and what it stores.
        housekeeping.scheduleWithFixedDelay(periodic("metrics", kinesisMetrics::publishEnded),
                METRICS_PUBLISH_INTERVAL_MS, METRICS_PUBLISH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        channelDelivery.start();
        housekeeping.scheduleWithFixedDelay(periodic("channel delivery", channelDelivery::refresh), 0, 1,
                TimeUnit.SECONDS);
        long scaleMs = config.autoScaling().evaluateIntervalMs();
        housekeeping.scheduleWithFixedDelay(periodic("on-demand scaling", () -> onWriter(s -> s.autoScaler()
                .tick())), scaleMs, scaleMs, TimeUnit.MILLISECONDS);
    }

    /** The other services' APIs, then the ports: the API's, the metrics' own if asked for, the TLS one if enabled. */
    private void listen(KinesisApi api, PolicyGatekeeper gatekeeper, RequestAuthenticator authenticator)
            throws InterruptedException {
        http = new HttpServer();
        DynamoApi dynamo = new DynamoApi(metadata, clock, config.account().region(), config.account().id());
        Duration metricsRetention = Duration.ofHours(config.metricsRetentionHours());
        CloudWatchApi cloudWatch = new CloudWatchApi(clock, metricsRetention);
        String ownId = home().id();
        // Another account's tables live under its own keys (RegionMetadata), in the legacy region as the own
        // account's do; its metrics in a catalog of its own.
        PerAccount<DynamoApi> dynamoOf = new PerAccount<>(id -> id.equals(ownId) ? dynamo : new DynamoApi(
                RegionMetadata.of(metadata, new Account(Account.LEGACY_REGION, id), ownId), clock,
                Account.LEGACY_REGION, id));
        PerAccount<CloudWatchApi> cloudWatchOf = cloudWatches(cloudWatch, metricsRetention);
        address = http.start(config.host(), config.port(), new Apis(api, dynamo, cloudWatch,
                new StsApi(config.account().id()), clusterCalls, authenticator, gatekeeper, dynamoOf, cloudWatchOf,
                config.metricsAddress() == null ? exposition : null, this::notReady)
                .withGlue(metadata, clock, ownId)
                .withLambda(metadata, clock, ownId, config.functions(), streamShards), apiExecutor,
                config.maxBodyBytes(), config.http());
        if (config.metricsAddress() != null) {
            metricsAddress = http.startMetrics(config.metricsAddress().getHostString(),
                    config.metricsAddress().getPort(), exposition);
        }
        if (config.tls().enabled()) {
            try {
                tlsAddress = http.startTls(config.host(), config.tls().port(), TlsCertificates.serverContext(
                        config.tls().certPath(), config.tls().keyPath(), config.dataDir()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot set up the TLS port: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Creates one stream of {@code --create-stream} as a client's CreateStream would be (validation, limits), run
     * here as the server's own call: no signature, no policy. {@code null} on success.
     */
    private static InitialStreams.Failure createStream(KinesisApi api, InitialStreams.Spec spec) {
        // The name is one of AWS's stream name characters (InitialStreams.Spec.parse): nothing to escape.
        String body = "{\"StreamName\":\"" + spec.name() + "\"," + (spec.onDemand()
                ? "\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}"
                : "\"ShardCount\":" + spec.shardCount() + "}");
        KinesisApi.Result r = api.handle(ApiModel.kinesis().targetPrefix() + ".CreateStream", WireFormat.JSON,
                body.getBytes(StandardCharsets.UTF_8), "create-stream-" + spec.name(), Caller.UNCHECKED, api.home(),
                true);
        return r.httpStatus() == 200 ? null : new InitialStreams.Failure(r.errorType(), errorMessage(r.body()),
                r.httpStatus() >= 500);
    }

    /** The {@code message} of a JSON error body, or the body itself if it has none. */
    private static String errorMessage(byte[] body) {
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory()
                .createParser(body)) {
            if (p.nextToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    if (field.equalsIgnoreCase("message")) {
                        return p.getText();
                    }
                    p.skipChildren();
                }
            }
        } catch (java.io.IOException unreadable) {
            // said as it is, below
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * What keeps this node from being ready ({@code GET /health/ready}): storage not open (or the node stopping), the
     * streams of {@code --create-stream} not ACTIVE, and on a cluster no writer known or this node not among the
     * live nodes. A node of a cluster caught up with the metadata when its store was opened (a Kafka store loads the
     * topic to its end first) and follows it since.
     */
    public List<String> notReady() {
        List<String> reasons = new java.util.ArrayList<>();
        if (!storageOpen || stopping) {
            reasons.add(stopping ? "the node is stopping" : "storage is not open");
            return reasons;
        }
        Cluster c = cluster;
        if (c != null && c != Cluster.solo()) {
            if (c.writer().isEmpty()) {
                reasons.add("no metadata writer is known yet");
            }
            if (!c.liveNodes().contains(c.self())) {
                reasons.add("this node is not among its cluster's live nodes yet");
            }
        }
        reasons.addAll(initialStreams.pending());
        return reasons;
    }

    /** The server's own account (--account-id) in the legacy region. */
    private Account home() {
        return config.account().in(Account.LEGACY_REGION);
    }

    /**
     * One account's region's services, on its part of the metadata store ({@link RegionMetadata}); the storage engine,
     * the iterator key and the threads are the node's.
     */
    private ApiServices regionServices(Account account, ShardIterators iterators) {
        String ownId = home().id();
        MetadataStore regional = RegionMetadata.of(metadata, account, ownId);
        // In a cluster the registries follow the writer's commits and commit only while this node is the writer.
        StreamRegistry streams = new StreamRegistry(regional, logs, clock, account, config.transitionDelayMs(),
                config.shardLimit(), cluster::isWriter, RegionMetadata.logPrefix(account, ownId));
        streams.recover();
        AutoScaler autoScaler = new AutoScaler(streams, clock, config.autoScaling(), config.throughput());
        if (clusterCalls != null) {
            // Each shard's owner meters its writes; the writer's scaling asks them all.
            autoScaler.useMeters(new ClusterTraffic(cluster, clusterCalls, account, autoScaler));
        }
        ConsumerRegistry consumers = new ConsumerRegistry(regional, streams, clock, config.transitionDelayMs(),
                cluster::isWriter);
        FanOut fanOut = new FanOut(streams, consumers, clock, config.throughput(), fanOutExecutor);
        if (subscriptions != null) {
            fanOut.useGate(subscriptions);
        }
        StreamKeys keys = config.security().kmsKeys() != null ? config.security().kmsKeys() : StreamKeys.NONE;
        fanOut.useKeys(keys);
        AccountMetrics metrics = kinesisMetrics.account(account.id(), account.region());
        fanOut.useMetrics(metrics);
        fanOuts.add(fanOut);
        if (!account.equals(home())) {
            log.info("Serving region {} of account {}", account.region(), account.id());
        }
        ChannelRegistry channels = ChannelStreams.registry(streams, channelWork(), cluster::isWriter,
                channelDelivery.check());
        channels.useMinFreshnessSeconds(config.channels().minFreshnessSeconds());
        // CREATING, UPDATING and DELETING end here when nobody looks the channel up; only the writer commits them.
        channelWork().scheduleWithFixedDelay(periodic("channel transitions", () -> {
            if (cluster.isWriter()) {
                channels.settleDue();
            }
        }), 100, 100, TimeUnit.MILLISECONDS);
        return new ApiServices(streams, iterators, new ResourcePolicies(regional),
                new AccountSettings(regional, clock), config.shardLimit(), config.scaling(),
                new Throttles(clock, config.throughput()), autoScaler, consumers, fanOut, appendExecutor,
                placement != null ? placement : ShardPlacement.LOCAL, keys, metrics, channels);
    }

    private synchronized ScheduledExecutorService channelWork() {
        if (channelWork == null) {
            channelWork = Executors.newScheduledThreadPool(CHANNEL_THREADS, named("millrace-channels"));
        }
        return channelWork;
    }

    /** This node's side of the calls the other nodes of its cluster make to it. */
    private ClusterCalls.Peer peer(ClusterSubscriptions subs) {
        return new ClusterCalls.Peer() {
            @Override
            public byte[] appendHere(Account scope, byte[] request) {
                // Lazily: a region's services exist once it is first used, here or through another node.
                return ClusterPlacement.appendHere(regions.services(scope), request);
            }

            @Override
            public String claimHere(Account scope, ClusterCalls.Subscription subscription) {
                return subs.claimHere(scope, subscription);
            }

            @Override
            public void releaseHere(Account scope, ClusterCalls.Subscription subscription) {
                subs.releaseHere(scope, subscription);
            }

            @Override
            public void revokeHere(Account scope, ClusterCalls.Subscription subscription) {
                subs.revokeHere(scope, subscription);
            }

            @Override
            public byte[] metricsHere() {
                return clusterMetrics.reportHere();
            }

            @Override
            public byte[] trafficHere(Account scope, byte[] request) {
                ApiServices s = regions.services(scope);
                return ClusterTraffic.reportHere(s.autoScaler(), s.streams()::find, request, clock.millis());
            }
        };
    }

    private void eachRegion(java.util.function.Consumer<ApiServices> task) {
        for (ApiServices services : regions.all()) {
            task.accept(services);
        }
    }

    /** Runs {@code task} on every region if this node is the metadata writer (housekeeping); else nothing. */
    private void onWriter(java.util.function.Consumer<ApiServices> task) {
        if (cluster.isWriter()) {
            eachRegion(task);
        }
    }

    /** The TLS port's address, or {@code null} when there is none. */
    public InetSocketAddress tlsAddress() {
        return tlsAddress;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Where {@code --metrics-address} serves {@code GET /metrics}, or {@code null} when the API port does. */
    public InetSocketAddress metricsAddress() {
        return metricsAddress;
    }

    /** Live SubscribeToShard sessions (for tests and metrics). */
    public int subscriptionCount() {
        return fanOuts.stream().mapToInt(FanOut::sessionCount).sum();
    }

    /**
     * The iterator signing key, which is also a cluster's secret: random, made by the writer on the first start,
     * kept in the metadata store.
     */
    private synchronized byte[] iteratorKey() {
        return metadata.get(ITERATOR_KEY).orElseGet(() -> {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            metadata.commit(Map.of(ITERATOR_KEY, key));
            return key;
        });
    }

    /**
     * The iterator key; a follower that starts before any writer made it (the first nodes of a new cluster) waits
     * for the election's winner to make it and for it to reach this node's view.
     */
    private byte[] awaitIteratorKey() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_WRITER_WAIT_MS);
        while (true) {
            java.util.Optional<byte[]> key = metadata.get(ITERATOR_KEY);
            if (key.isPresent()) {
                return key.get();
            }
            if (cluster.isWriter()) {
                return iteratorKey();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no metadata writer was elected within " + FIRST_WRITER_WAIT_MS
                        + " ms of start, so this node cannot join its cluster; check that the nodes can reach Kafka"
                        + " and see the log of the node that should have been elected");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Stops accepting, lets in-flight requests finish (bounded), then flushes and closes storage. Safe to call
     * twice.
     */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        // Each step checks its own component: a start that failed half-way leaves some of them unset.
        if (http != null) {
            http.stopAccepting();
        }
        if (housekeeping != null) {
            housekeeping.shutdownNow();
            if (metricsCollector != null) {
                metricsCollector.shutdownNow();
            }
        }
        if (eventSourceMappings != null) {
            // Before storage closes: a batch under way ends or is invoked again after the restart.
            eventSourceMappings.close();
            eventSourceMappings = null;
        }
        if (channelDelivery != null) {
            // Before storage closes: a batch under way finishes or is delivered again after the restart.
            channelDelivery.close();
            channelDelivery = null;
        }
        fanOuts.forEach(FanOut::close);
        fanOuts.clear();
        if (subscriptions != null) {
            subscriptions.close();
        }
        if (regions != null) {
            // They stop following the metadata feed; the store closes below.
            eachRegion(s -> s.streams().close());
        }
        synchronized (this) {
            if (channelWork != null) {
                channelWork.shutdownNow();
                channelWork = null;
            }
        }
        if (fanOutExecutor != null) {
            fanOutExecutor.shutdownNow();
            fanOutExecutor = null;
        }
        if (apiExecutor != null) {
            apiExecutor.shutdown();
            if (!apiExecutor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("In-flight requests did not finish within 30 s; closing storage anyway");
            }
        }
        if (appendExecutor != null) {
            // Every append was joined by its request, so once the API threads are done, so are these.
            appendExecutor.shutdown();
        }
        if (http != null) {
            http.shutdown();
        }
        if (storage != null) {
            storageOpen = false;
            storage.close();
        }
        http = null;
        housekeeping = null;
        apiExecutor = null;
        appendExecutor = null;
        storage = null;
        logs = null;
        metadata = null;
    }

    private Runnable periodic(String what, Runnable task) {
        return new PeriodicTask(what, task, clock);
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Every account's regional CloudWatch ({@code home} for the server's own account in its region), with this node's
     * ended minutes of AWS/Kinesis metrics going into them: directly on a node alone or the writer, else through the
     * writer's collection ({@link ClusterMetrics}).
     */
    private PerAccount<CloudWatchApi> cloudWatches(CloudWatchApi home, Duration retention) {
        String homeRegion = PerAccount.regional(home());
        PerAccount<CloudWatchApi> cloudWatchOf = new PerAccount<>(key -> key.equals(homeRegion) ? home
                : new CloudWatchApi(clock, retention));
        MinuteSink toCloudWatch = (accountId, region, aggregates) -> cloudWatchOf
                .of(PerAccount.regional(new Account(region, accountId))).record(aggregates);
        kinesisMetrics.useSink(clusterMetrics == null ? toCloudWatch
                : clusterMetrics.sink(cluster::isWriter, toCloudWatch));
        if (clusterMetrics != null) {
            // A thread of its own: a node slow to answer delays only this, never housekeeping's transitions.
            metricsCollector = Executors.newSingleThreadScheduledExecutor(named("millrace-metrics-collect"));
            metricsCollector.scheduleWithFixedDelay(periodic("metrics from the other nodes", () -> {
                if (cluster.isWriter()) {
                    try {
                        clusterMetrics.collect(cluster, clusterCalls, home(), toCloudWatch);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }), METRICS_PUBLISH_INTERVAL_MS, METRICS_PUBLISH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        }
        return cloudWatchOf;
    }
}
