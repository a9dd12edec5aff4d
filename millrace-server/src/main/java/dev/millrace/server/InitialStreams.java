package dev.millrace.server;

import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The streams a node is asked to have at start ({@code --create-stream NAME[:SHARDS|:on-demand]}), in the server's own
 * account and default region. Idempotent: a stream that exists is never created again, and one that exists with
 * another shard count or capacity mode is left as it is, with a WARN that says so. Only the metadata writer creates
 * them (on a cluster, the node that is or becomes the writer while they are missing); a follower waits for them to
 * appear in its view. {@link #pending} lists what keeps the node from being ready: streams not yet ACTIVE, and any
 * that could not be created (with the reason, which is also logged).
 *
 * <p>Once a stream has been seen ACTIVE it is done with: deleting it later does not bring it back.
 *
 * <p>Thread-safe: {@link #tick} is synchronized (the housekeeping thread and the start both call it); {@link #pending}
 * reads a volatile snapshot.
 */
public final class InitialStreams {
    private static final Logger log = LoggerFactory.getLogger(InitialStreams.class);
    /** AWS's stream name rule (CreateStream's StreamName pattern and length). */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    static final int MAX_SHARDS = 10_000;

    /** One {@code --create-stream}: {@code shardCount} null for an on-demand stream. */
    public record Spec(String name, Integer shardCount) {
        public boolean onDemand() {
            return shardCount == null;
        }

        /** {@code NAME}, {@code NAME:SHARDS} or {@code NAME:on-demand}; IllegalArgumentException says what is wrong. */
        public static Spec parse(String text) {
            String value = text.strip();
            int colon = value.lastIndexOf(':');
            String name = colon < 0 ? value : value.substring(0, colon);
            String kind = colon < 0 ? "1" : value.substring(colon + 1);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + text + "' does not start with a stream name (1 to 128 of "
                        + "a-z A-Z 0-9 _ . -); give NAME, NAME:SHARDS or NAME:on-demand");
            }
            if (kind.equalsIgnoreCase("on-demand")) {
                return new Spec(name, null);
            }
            try {
                int shards = Integer.parseInt(kind);
                if (shards >= 1 && shards <= MAX_SHARDS) {
                    return new Spec(name, shards);
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("'" + text + "': after the colon comes a shard count from 1 to "
                    + MAX_SHARDS + " or on-demand, not '" + kind + "'");
        }

        @Override
        public String toString() {
            return name + ":" + (onDemand() ? "on-demand" : shardCount);
        }
    }

    /**
     * Creates one stream as a CreateStream call would; returns {@code null} on success, else why not.
     */
    @FunctionalInterface
    public interface Creator {
        Failure create(Spec spec);
    }

    /**
     * Why a stream was not created: {@code retryable} for what may pass (a 5xx: storage, a writer deposed meanwhile),
     * tried again on the next tick; ResourceInUseException means it was created meanwhile.
     */
    public record Failure(String errorType, String message, boolean retryable) {
        @Override
        public String toString() {
            return errorType + ": " + message;
        }
    }

    private final Map<String, Spec> waiting = new LinkedHashMap<>();
    private final Set<String> warned = new HashSet<>();
    private final Set<String> retried = new HashSet<>();
    private final Set<String> createdHere = new HashSet<>();
    private final Map<String, String> failed = new LinkedHashMap<>();
    private volatile List<String> pending;

    public InitialStreams(List<Spec> specs) {
        for (Spec s : specs) {
            Spec earlier = waiting.putIfAbsent(s.name(), s);
            if (earlier != null && !earlier.equals(s)) {
                throw new IllegalArgumentException("--create-stream names " + s.name() + " twice, as " + earlier
                        + " and " + s);
            }
        }
        pending = describe();
    }

    /** Whether there is nothing to create or wait for (or nothing was asked). */
    public boolean done() {
        return pending.isEmpty();
    }

    /** Why the node is not ready on their account: one entry per stream not ACTIVE or not creatable. */
    public List<String> pending() {
        return pending;
    }

    /**
     * Looks at each stream still waited for in {@code find}'s view (the home region's registry): an ACTIVE one is
     * done; a missing one is created through {@code creator} if {@code writer}.
     */
    public synchronized void tick(Function<String, Optional<StreamRecord>> find, boolean writer, Creator creator) {
        if (waiting.isEmpty()) {
            return;
        }
        for (Spec spec : new ArrayList<>(waiting.values())) {
            Optional<StreamRecord> found = find.apply(spec.name());
            if (found.isEmpty() && createdHere.contains(spec.name())) {
                waiting.remove(spec.name());
                log.warn("Stream {} of --create-stream was deleted before it became ACTIVE; not created again",
                        spec.name());
                continue;
            }
            if (found.isEmpty() && writer && create(spec, creator)) {
                // Without a transition delay it is ACTIVE at once: done in this pass.
                found = find.apply(spec.name());
            }
            if (found.isPresent()) {
                StreamRecord s = found.get();
                warnIfDifferent(spec, s);
                if (s.status() == StreamStatus.ACTIVE) {
                    waiting.remove(spec.name());
                    if (!createdHere.contains(spec.name())) {
                        log.info("Stream {} of --create-stream exists already ({} open shards, {}); not created",
                                spec.name(), s.openShards().size(), s.mode());
                    }
                }
            }
        }
        pending = describe();
        if (waiting.isEmpty() && failed.isEmpty()) {
            log.info("Every stream of --create-stream is ACTIVE");
        }
    }

    /** Creates {@code spec}'s stream; whether it was. A failure that will not pass ends the wait for it. */
    private boolean create(Spec spec, Creator creator) {
        Failure error = creator.create(spec);
        if (error == null) {
            createdHere.add(spec.name());
            return true;
        }
        if (error.retryable()) {
            if (retried.add(spec.name())) {
                log.warn("Stream {} of --create-stream could not be created yet ({}); trying again", spec, error);
            }
        } else if (!error.errorType().equals("ResourceInUseException")) {
            waiting.remove(spec.name());
            failed.put(spec.name(), error.toString());
            log.error("Stream {} of --create-stream could not be created: {}; the node will not report ready "
                    + "(/health/ready) until it is restarted with a --create-stream that can be created", spec, error);
        }
        return false;
    }

    private void warnIfDifferent(Spec spec, StreamRecord s) {
        boolean onDemand = "ON_DEMAND".equals(s.mode());
        int shards = s.eventualOpenShardCount();
        boolean same = spec.onDemand() ? onDemand : !onDemand && shards == spec.shardCount();
        if (!same && warned.add(spec.name())) {
            log.warn("Stream {} exists with {} open shard{} in {} mode, not as --create-stream {} asks; it is left as "
                    + "it is", spec.name(), shards, shards == 1 ? "" : "s", s.mode(), spec);
        }
    }

    private List<String> describe() {
        List<String> out = new ArrayList<>();
        waiting.keySet().forEach(name -> out.add("stream " + name + " is not ACTIVE yet"));
        failed.forEach((name, why) -> out.add("stream " + name + " could not be created: " + why));
        return List.copyOf(out);
    }
}
