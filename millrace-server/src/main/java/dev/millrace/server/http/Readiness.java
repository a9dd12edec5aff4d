package dev.millrace.server.http;

import java.util.List;

/**
 * Whether a node is ready to serve ({@code GET /health/ready}): what keeps it from being ready, one short sentence
 * each, or nothing. The node decides (storage open, its streams of {@code --create-stream} ACTIVE, its place in a
 * cluster); the HTTP layer only answers with it.
 *
 * <p>Implementations are thread-safe and cheap: load balancers ask every few seconds, on the event loop.
 */
@FunctionalInterface
public interface Readiness {
    /** A node that is ready as soon as it listens (tests, tools). */
    Readiness ALWAYS = List::of;

    /** What keeps the node from being ready; empty when it is. */
    List<String> notReady();
}
