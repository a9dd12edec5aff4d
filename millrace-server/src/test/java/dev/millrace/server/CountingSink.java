package dev.millrace.server;

import dev.millrace.server.fanout.EventSink;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An always-writable SubscribeToShard sink that counts the records in the events it is sent, for fan-out tests.
 *
 * <p>Thread-safe: the count is atomic; the session writes from its fan-out thread, the test reads.
 */
final class CountingSink implements EventSink {
    final AtomicLong records = new AtomicLong();
    /** The exception events (ones with an {@code :exception-type} header) sent. */
    final AtomicLong exceptions = new AtomicLong();

    @Override
    public void start(String requestId) {
    }

    @Override
    public void send(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        records.addAndGet(text.split("\"SequenceNumber\"", -1).length - 1);
        if (text.contains(":exception-type")) {
            exceptions.incrementAndGet();
        }
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public void whenWritable(Runnable callback) {
        callback.run();
    }

    @Override
    public void end() {
    }

    @Override
    public void onClose(Runnable callback) {
    }
}
