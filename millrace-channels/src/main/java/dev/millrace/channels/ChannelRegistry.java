package dev.millrace.channels;

import dev.millrace.channels.delivery.KeyTemplate;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.MetadataStore;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels of one account's region, kept in its metadata store under {@code channel/<id>} ({@link ChannelCodec}):
 * creation ({@code CREATING}, then {@code ACTIVE} or {@code FAILED} once the transition delay has passed and the
 * {@link DestinationCheck} has answered), UpdateChannel ({@code UPDATING} then {@code ACTIVE}), deletion
 * ({@code DELETING} then gone), tags, and AWS's limits: a name is unique in the region, a stream has at most one
 * channel per destination type (so two), and the account at most {@link #accountLimit} channels.
 *
 * <p>Channels are read from the store on every lookup, so a node shows what any writer committed as soon as its store
 * has it. A due transition is settled (committed) on lookup and by {@link #settleDue} only while {@code writer} says
 * this node may change metadata; a follower shows the stored record. The destination check of a CREATING channel runs
 * on the given executor, never on the caller's thread; its answer lives in memory until the transition is settled, and
 * a writer that restarts (or takes over) during CREATING simply asks again.
 *
 * <p>A channel is bound to one incarnation of its stream (StreamCreationTimestamp): channels of a stream deleted and
 * created again under the same name are not the new stream's (they count for nothing on it and ListChannels' filter by
 * the new timestamp does not find them). DeleteStream refuses while a stream has channels, so that only happens to
 * data written by hand.
 *
 * <p>Thread-safe: changes are synchronized and committed before they are visible.
 */
public final class ChannelRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelRegistry.class);
    private static final String PREFIX = "channel/";
    /** DescribeLimits' ChannelCountLimit: AWS's 50 on-demand streams per account times its 2 channels per stream. */
    public static final int DEFAULT_ACCOUNT_LIMIT = 100;
    private static final int ID_CHARS = 20;
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    private final MetadataStore metadata;
    private final Account account;
    private final StreamAccess streams;
    private final Clock clock;
    private final long transitionDelayMs;
    private final BooleanSupplier writer;
    private final Executor checks;
    /** Keys of stored channels that could not be decoded, logged once each. */
    private final Set<String> undecodable = ConcurrentHashMap.newKeySet();
    private final int accountLimit;
    private final SecureRandom random = new SecureRandom();
    /** The destination checks of CREATING channels, by id, until their transition is settled. */
    private final Map<String, CompletableFuture<Optional<String>>> pendingChecks = new ConcurrentHashMap<>();
    private volatile DestinationCheck check;
    private volatile int minFreshnessSeconds = ChannelValidation.MIN_FRESHNESS_SECONDS;

    /**
     * @param checks where destination checks run (a small pool of the server's; never a request thread)
     * @param writer whether this node may commit metadata now (always, for a node alone)
     */
    public ChannelRegistry(MetadataStore metadata, Account account, StreamAccess streams, Clock clock,
                           long transitionDelayMs, BooleanSupplier writer, Executor checks, DestinationCheck check,
                           int accountLimit) {
        this.metadata = metadata;
        this.account = account;
        this.streams = streams;
        this.clock = clock;
        this.transitionDelayMs = transitionDelayMs;
        this.writer = writer;
        this.checks = checks;
        this.check = check;
        this.accountLimit = accountLimit;
    }

    /** Checks destinations with {@code newCheck} from now on (the server's real checks, wired after start). */
    public void useCheck(DestinationCheck newCheck) {
        this.check = newCheck;
    }

    /**
     * Accepts DataFreshnessInSeconds from {@code seconds} up (AWS: 300), so that development and test set-ups see
     * records delivered in seconds, not minutes.
     */
    public void useMinFreshnessSeconds(int seconds) {
        if (seconds < 1 || seconds > ChannelValidation.MIN_FRESHNESS_SECONDS) {
            throw new IllegalArgumentException("the minimum freshness must be 1 to "
                    + ChannelValidation.MIN_FRESHNESS_SECONDS + " seconds, not " + seconds);
        }
        this.minFreshnessSeconds = seconds;
    }

    public Account account() {
        return account;
    }

    public int accountLimit() {
        return accountLimit;
    }

    /** {@code arn:<partition>:kinesis:<region>:<account>:channel/<id>}. */
    public String arn(Channel c) {
        return arnPrefix() + c.id();
    }

    private String arnPrefix() {
        return "arn:" + account.partition() + ":kinesis:" + account.region() + ":" + account.id() + ":channel/";
    }

    /** CreateChannel: validates, fills AWS's defaults, checks the limits and commits the channel as CREATING. */
    public synchronized Channel create(ChannelRequest r) {
        ChannelValidation.checkRequest(r, account);
        ChannelValidation.checkCreateFreshness(r, minFreshnessSeconds);
        ChannelRequest.StreamConfig config = r.streams().get(0);
        String streamName = streamNameOf(config.streamArn());
        StreamAccess.StreamInfo stream = streamName == null ? null : streams.stream(streamName).orElse(null);
        if (stream == null) {
            throw KinesisException.resourceNotFound("Stream " + config.streamArn() + " under account " + account.id()
                    + " not found.");
        }
        ChannelValidation.checkStream(stream, account);
        List<Channel> all = list();
        for (Channel c : all) {
            if (c.name().equals(r.name())) {
                throw KinesisException.resourceInUse("Channel " + r.name() + " already exists under account "
                        + account.id() + " in " + account.region() + " (" + arn(c) + ").");
            }
        }
        DestinationType type = r.s3() != null ? DestinationType.S3 : DestinationType.S3_TABLES;
        for (Channel c : all) {
            if (boundTo(c, stream) && c.destination().type() == type) {
                throw KinesisException.limitExceeded("Stream " + stream.name() + " under account " + account.id()
                        + " already has a channel delivering to " + type + " (" + arn(c) + "); a stream can have "
                        + "one S3 channel and one S3_TABLES channel.");
            }
        }
        if (all.size() >= accountLimit) {
            throw KinesisException.limitExceeded("This request would exceed the channel limit for the account "
                    + account.id() + " in " + account.region() + ". Current channel count for the account: "
                    + all.size() + ". Limit: " + accountLimit + ".");
        }
        String id = newId();
        Channel c = ChannelDefaults.fill(r, id, stream, clock.millis(), transitionDelayMs);
        Channel.S3Storage s3 = c.destination().s3();
        if (s3 != null) {
            // With the names in: a long channel name can push the key past S3's limit, ".." makes a bad path.
            KeyTemplate.problem(s3.outputKeyTemplate(), s3.compression(), c.name(), id, stream.name())
                    .ifPresent(problem -> {
                        throw KinesisException.invalidArgument("Invalid OutputKeyTemplate: " + problem);
                    });
        }
        put(c);
        ChannelLog.changed(account, arn(c), c, "created");
        startCheck(c);
        return c;
    }

    private boolean boundTo(Channel c, StreamAccess.StreamInfo stream) {
        return c.stream().name().equals(stream.name()) && c.stream().createdMs() == stream.createdMs();
    }

    private String streamNameOf(String streamArn) {
        return account.streamNameOf(streamArn);
    }

    private String newId() {
        while (true) {
            StringBuilder id = new StringBuilder(ID_CHARS);
            // A letter first: a DNS label, and never mistaken for a number.
            id.append(ID_ALPHABET.charAt(random.nextInt(26)));
            for (int i = 1; i < ID_CHARS; i++) {
                id.append(ID_ALPHABET.charAt(random.nextInt(ID_ALPHABET.length())));
            }
            if (metadata.get(PREFIX + id).isEmpty()) {
                return id.toString();
            }
        }
    }

    /** The channel a channel ARN names, with its due transition settled; ResourceNotFoundException if none. */
    public Channel describe(String channelArn) {
        String id = channelArn.startsWith(arnPrefix()) ? channelArn.substring(arnPrefix().length()) : null;
        Optional<byte[]> stored = id == null || id.isEmpty() || id.contains("/") ? Optional.empty()
                : metadata.get(PREFIX + id);
        Optional<Channel> decoded = stored.flatMap(bytes -> decodeStored(PREFIX + id, bytes));
        if (stored.isPresent() && decoded.isEmpty()) {
            throw KinesisException.internalFailure("Channel " + channelArn + " is stored in a form this server "
                    + "cannot read; its server's log says more.");
        }
        Channel c = decoded.map(this::settle).orElse(null);
        if (c == null) {
            throw KinesisException.resourceNotFound("Channel " + channelArn + " under account " + account.id()
                    + " not found.");
        }
        return c;
    }

    /**
     * The ids of the channels stored in {@code regionMetadata} (one account's region's view), whatever their state,
     * read from the keys alone: for who must know which channels exist without opening the region's registry.
     */
    public static Set<String> storedIds(MetadataStore regionMetadata) {
        Set<String> ids = new HashSet<>();
        for (String key : regionMetadata.scan(PREFIX).keySet()) {
            ids.add(key.substring(PREFIX.length()));
        }
        return ids;
    }

    /** Every channel of the region, by name, with due transitions settled (on the writer). */
    public List<Channel> list() {
        List<Channel> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : metadata.scan(PREFIX).entrySet()) {
            Channel c = decodeStored(e.getKey(), e.getValue()).map(this::settle).orElse(null);
            if (c != null) {
                out.add(c);
            }
        }
        out.sort(Comparator.comparing(Channel::name));
        return out;
    }

    /**
     * The channels whose records are to be delivered, for the delivery engine: ACTIVE ones and UPDATING ones (an
     * update changes only freshness and logging, so delivery goes on through it; AWS does not say). Each has its
     * {@link Channel#activatedMs}, from which its records are delivered. CREATING, FAILED and DELETING channels
     * deliver nothing.
     */
    public List<Channel> delivering() {
        List<Channel> out = new ArrayList<>();
        for (Channel c : list()) {
            if ((c.status() == ChannelStatus.ACTIVE || c.status() == ChannelStatus.UPDATING) && c.activatedMs() > 0) {
                out.add(c);
            }
        }
        return out;
    }

    /** The channels bound to the current incarnation of a stream (DescribeStreamSummary's ChannelCount). */
    public List<Channel> ofStream(String streamName, long streamCreatedMs) {
        List<Channel> out = new ArrayList<>();
        for (Channel c : list()) {
            if (c.stream().name().equals(streamName) && c.stream().createdMs() == streamCreatedMs) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * UpdateChannel: the new freshness (in the block that matches the destination) and logging, UPDATING until the
     * transition delay has passed. The channel must be ACTIVE.
     *
     * @param s3Freshness     S3DestinationConfiguration.DataFreshnessInSeconds, or null if the block was not given
     * @param tablesFreshness S3TablesDestinationConfiguration.DataFreshnessInSeconds, or null
     * @param logging         the new LoggingConfiguration, or null to keep it
     */
    public synchronized Channel update(String channelArn, Integer s3Freshness, Integer tablesFreshness,
                                       Channel.Logging logging) {
        Channel c = describe(channelArn);
        if (c.status() != ChannelStatus.ACTIVE) {
            throw KinesisException.resourceInUse("Channel " + channelArn + " under account " + account.id() + " is "
                    + c.status() + "; it can be updated only while ACTIVE.");
        }
        DestinationType type = c.destination().type();
        if ((type == DestinationType.S3 && tablesFreshness != null)
                || (type == DestinationType.S3_TABLES && s3Freshness != null)) {
            String given = type == DestinationType.S3 ? "S3TablesDestinationConfiguration"
                    : "S3DestinationConfiguration";
            throw KinesisException.invalidArgument("Channel " + channelArn + " delivers to " + type + "; " + given
                    + " does not apply to it.");
        }
        Integer freshness = s3Freshness != null ? s3Freshness : tablesFreshness;
        if (freshness == null && logging == null) {
            throw KinesisException.invalidArgument("Nothing to update: give the destination's "
                    + "DataFreshnessInSeconds or LoggingConfiguration.");
        }
        Channel.Destination destination = c.destination();
        if (freshness != null) {
            ChannelValidation.checkUpdateFreshness(freshness, type == DestinationType.S3
                    ? "S3DestinationConfiguration" : "S3TablesDestinationConfiguration", minFreshnessSeconds);
            destination = destination.withFreshness(freshness);
        }
        Channel updated = c.updated(destination,
                logging != null ? ChannelDefaults.logging(logging, c.name(), c.id()) : c.logging(),
                clock.millis() + transitionDelayMs);
        put(updated);
        ChannelLog.changed(account, arn(updated), updated, "updating");
        return updated;
    }

    /** DeleteChannel: DELETING, then gone once the transition delay has passed. Deleting twice is harmless. */
    public synchronized void delete(String channelArn) {
        Channel c = describe(channelArn);
        if (c.status() == ChannelStatus.DELETING) {
            return;
        }
        pendingChecks.remove(c.id());
        Channel deleting = c.withStatus(ChannelStatus.DELETING, null, clock.millis() + transitionDelayMs);
        put(deleting);
        ChannelLog.changed(account, arn(deleting), deleting, "deleting");
        settle(deleting);
    }

    /** Replaces a channel's tags. */
    public synchronized Channel retag(Channel c, Map<String, String> tags) {
        Channel current = describe(arn(c));
        Channel updated = current.withTags(tags);
        put(updated);
        return updated;
    }

    /**
     * Settles every channel whose transition is due; for the writer's housekeeping, so that channels nobody looks up
     * still become ACTIVE (or go) and followers see it. Does nothing on a follower.
     */
    public void settleDue() {
        if (!writer.getAsBoolean()) {
            return;
        }
        for (Map.Entry<String, byte[]> e : metadata.scan(PREFIX).entrySet()) {
            decodeStored(e.getKey(), e.getValue()).ifPresent(this::settle);
        }
    }

    /**
     * A stored channel, or empty if its value cannot be decoded (damaged, or written by a newer version of Millrace
     * that was rolled back): one such value must not stop ListChannels, the limits and every other channel's delivery
     * in the region. It is left in place (it still blocks nothing, counts for nothing) and logged once per key.
     */
    private Optional<Channel> decodeStored(String key, byte[] bytes) {
        try {
            return Optional.of(ChannelCodec.decode(bytes));
        } catch (RuntimeException e) {
            if (undecodable.add(key)) {
                LOG.error("The stored channel {} of account {} in {} cannot be read and is left out: {}", key,
                        account.id(), account.region(), e.toString());
            }
            return Optional.empty();
        }
    }

    /** The channel with its due transition committed, or null if it is gone; as stored on a follower. */
    private Channel settle(Channel c) {
        if (c.status() == ChannelStatus.ACTIVE || c.status() == ChannelStatus.FAILED || !writer.getAsBoolean()) {
            return c;
        }
        synchronized (this) {
            // Read again under the lock: another thread may have settled or changed it.
            Optional<Channel> stored = metadata.get(PREFIX + c.id()).map(ChannelCodec::decode);
            if (stored.isEmpty()) {
                return null;
            }
            return settleLocked(stored.get());
        }
    }

    private Channel settleLocked(Channel c) {
        long now = clock.millis();
        switch (c.status()) {
            case CREATING -> {
                CompletableFuture<Optional<String>> answer = startCheck(c);
                if (now < c.statusUntilMs() || !answer.isDone()) {
                    return c;
                }
                pendingChecks.remove(c.id());
                Optional<String> problem = answer.exceptionally(e -> Optional.of("The destination could not be "
                        + "checked: " + e)).join();
                Channel settled = problem.isPresent()
                        ? c.withStatus(ChannelStatus.FAILED, truncate(problem.get()), 0) : c.activated(now);
                put(settled);
                ChannelLog.changed(account, arn(settled), settled, problem.isPresent() ? "failed" : "active");
                return settled;
            }
            case UPDATING -> {
                if (now < c.statusUntilMs()) {
                    return c;
                }
                Channel settled = c.activated(now);
                put(settled);
                ChannelLog.changed(account, arn(settled), settled, "active");
                return settled;
            }
            case DELETING -> {
                if (now < c.statusUntilMs()) {
                    return c;
                }
                Map<String, byte[]> change = new HashMap<>();
                change.put(PREFIX + c.id(), null);
                metadata.commit(change);
                ChannelLog.changed(account, arn(c), c, "deleted");
                return null;
            }
            default -> {
                return c;
            }
        }
    }

    /** The destination check of a CREATING channel: started once per channel, on the checks' executor. */
    private CompletableFuture<Optional<String>> startCheck(Channel c) {
        return pendingChecks.computeIfAbsent(c.id(), id -> {
            DestinationCheck now = check;
            return CompletableFuture.supplyAsync(() -> now.problem(c), checks);
        });
    }

    /** ChannelStatusReason holds at most 2048 characters. */
    private static String truncate(String reason) {
        return reason.length() <= 2048 ? reason : reason.substring(0, 2045) + "...";
    }

    private void put(Channel c) {
        metadata.commit(Map.of(PREFIX + c.id(), ChannelCodec.encode(c)));
    }
}
