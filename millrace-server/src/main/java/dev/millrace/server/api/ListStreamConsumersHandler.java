package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * ListStreamConsumers: a stream's consumers by name, {@code MaxResults} (default 100) at a time.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListStreamConsumers.html
 *
 * <p>Thread-safe.
 */
final class ListStreamConsumersHandler implements OperationHandler {
    static final int MAX_RESULTS_DEFAULT = 100;

    private final ApiServices services;

    ListStreamConsumersHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        StreamRecord s = services.streams().get(name);
        Instant created = request.timestamp("StreamCreationTimestamp");
        if (created != null && created.toEpochMilli() != s.epochMs()) {
            throw services.streams().notFound(name);
        }
        int max = request.integer("MaxResults") == null ? MAX_RESULTS_DEFAULT : request.integer("MaxResults");
        String after = request.has("NextToken") ? decode(request.string("NextToken")) : null;
        List<ConsumerRecord> all = services.consumers().list(name).stream()
                .filter(c -> after == null || c.name().compareTo(after) > 0).toList();
        List<ConsumerRecord> page = all.subList(0, Math.min(max, all.size()));
        out.startArray("Consumers");
        for (ConsumerRecord c : page) {
            out.startObject();
            ConsumerOutput.write(out, services, c, false);
            out.endObject();
        }
        out.endArray();
        if (all.size() > max) {
            out.string("NextToken", Base64.getUrlEncoder().withoutPadding().encodeToString(
                    ("c1/" + page.get(page.size() - 1).name()).getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static String decode(String token) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        if (!text.startsWith("c1/")) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        return text.substring(3);
    }
}
