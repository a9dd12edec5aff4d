package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * ListStreams: stream names in order, a page at a time ({@code Limit}, default 100; a larger limit still gives at most
 * 100, as the API reference says), continued by {@code ExclusiveStartStreamName} or {@code NextToken}, with
 * {@code StreamSummaries}.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListStreams.html
 *
 * <p>Thread-safe.
 */
final class ListStreamsHandler implements OperationHandler {
    static final int LIMIT_DEFAULT = 100;
    static final int LIMIT_MAX = 100;

    private final ApiServices services;

    ListStreamsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        int limit = Math.min(LIMIT_MAX, request.integer("Limit") == null ? LIMIT_DEFAULT : request.integer("Limit"));
        String after = request.string("ExclusiveStartStreamName");
        String token = request.string("NextToken");
        if (token != null) {
            after = decodeToken(token);
        }
        List<StreamRecord> page = new ArrayList<>();
        boolean more = false;
        for (String name : services.streams().names()) {
            if (after != null && name.compareTo(after) <= 0) {
                continue;
            }
            Optional<StreamRecord> s = services.streams().find(name);
            if (s.isEmpty()) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(s.get());
        }
        out.startArray("StreamNames");
        page.forEach(s -> out.string(s.name()));
        out.endArray().bool("HasMoreStreams", more);
        if (more) {
            out.string("NextToken", encodeToken(page.get(page.size() - 1).name()));
        }
        out.startArray("StreamSummaries");
        for (StreamRecord s : page) {
            out.startObject()
                    .string("StreamName", s.name())
                    .string("StreamARN", services.streams().arn(s.name()))
                    .string("StreamStatus", s.status().name());
            ShardOutput.streamMode(out, s);
            out.timestamp("StreamCreationTimestamp", Instant.ofEpochMilli(s.epochMs())).endObject();
        }
        out.endArray();
    }

    private static String encodeToken(String lastName) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1/" + lastName).getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeToken(String token) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        if (!text.startsWith("v1/")) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        return text.substring(3);
    }
}
