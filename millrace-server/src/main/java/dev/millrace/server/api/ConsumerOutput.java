package dev.millrace.server.api;

import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

/**
 * Writes the {@code Consumer} and {@code ConsumerDescription} shapes.
 *
 * <p>Stateless, thread-safe.
 */
final class ConsumerOutput {
    private ConsumerOutput() {
    }

    static void write(WireWriter out, ApiServices services, ConsumerRecord c, boolean withStreamArn) {
        out.string("ConsumerName", c.name())
                .string("ConsumerARN", c.arn(services.streams().account()))
                .string("ConsumerStatus", c.status())
                .timestampMs("ConsumerCreationTimestamp", c.createdMs());
        if (withStreamArn) {
            out.string("StreamARN", services.streams().arn(c.streamName()));
        }
    }
}
