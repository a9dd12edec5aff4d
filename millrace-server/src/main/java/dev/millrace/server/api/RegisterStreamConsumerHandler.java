package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;

import java.util.Map;

/**
 * RegisterStreamConsumer: an enhanced fan-out consumer, CREATING and then ACTIVE; at most 20 per stream.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RegisterStreamConsumer.html
 *
 * <p>Thread-safe.
 */
final class RegisterStreamConsumerHandler implements OperationHandler {
    private final ApiServices services;

    RegisterStreamConsumerHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String stream = StreamRefs.name(request, services.streams().account());
        Map<String, String> tags = request.stringMap("Tags");
        services.streams().get(stream);
        TagRules.checkTags(tags, "register consumer " + request.string("ConsumerName") + " with "
                + services.streams().context(stream));
        ConsumerRecord c = services.consumers().register(stream, request.string("ConsumerName"),
                tags == null ? Map.of() : tags);
        out.startObject("Consumer");
        ConsumerOutput.write(out, services, c, false);
        out.endObject();
    }
}
