package dev.millrace.server.fanout;

import dev.millrace.protocol.Struct;

/**
 * An operation whose answer is an event stream (SubscribeToShard). It validates the request and throws
 * {@link dev.millrace.protocol.KinesisException} before the response starts; after {@link EventSink#start} errors
 * travel inside the stream.
 *
 * <p>Implementations are thread-safe.
 */
public interface StreamingOperationHandler {
    void subscribe(Struct request, EventSink sink, String requestId);
}
