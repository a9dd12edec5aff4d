package dev.millrace.server.fanout;

/**
 * Where a subscription's event-stream messages go: one streamed HTTP response. The transport decides what
 * "writable" means; over HTTP/2 it follows the stream's flow-control window, so a slow reader holds back only its
 * own subscription and nothing queues up without bound.
 *
 * <p>Implementations are thread-safe: messages may be sent from any thread.
 */
public interface EventSink {
    /** Sends the 200 response head; called once, before any message. */
    void start(String requestId);

    /** Sends one event-stream message. */
    void send(byte[] message);

    /** Whether the peer can take more now. */
    boolean writable();

    /** Runs {@code callback} once, when the sink becomes writable again (at once if it is). */
    void whenWritable(Runnable callback);

    /** Ends the response. */
    void end();

    /** Runs {@code callback} when the peer goes away (reset, closed connection) or the response ends. */
    void onClose(Runnable callback);
}
