package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.server.state.ConsumerRecord;

/**
 * Finds the consumer a request names: by {@code ConsumerARN}, or by {@code StreamARN} and {@code ConsumerName}.
 *
 * <p>Stateless, thread-safe.
 */
final class ConsumerRefs {
    private ConsumerRefs() {
    }

    static ConsumerRecord find(ApiServices services, Struct request) {
        String streamArn = request.string("StreamARN");
        String stream = streamArn == null ? null : services.streams().account().streamNameOf(streamArn);
        if (streamArn != null && stream == null) {
            throw KinesisException.resourceNotFound("Stream " + streamArn + " not found.");
        }
        return services.consumers().find(request.string("ConsumerARN"), stream, request.string("ConsumerName"));
    }
}
