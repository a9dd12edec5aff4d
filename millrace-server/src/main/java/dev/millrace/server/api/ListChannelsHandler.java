package dev.millrace.server.api;

import dev.millrace.channels.Channel;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * ListChannels: the region's channels by name, at most 100 a page whatever MaxResults (1..10000) asks, optionally only
 * those of the streams in StreamFilter (a filter with StreamCreationTimestamp matches that incarnation only). A
 * NextToken is good for {@link ListShardsHandler#TOKEN_LIFETIME_MS}, then ExpiredNextTokenException, as ListShards'
 * are; it may come with the same StreamFilter again (paginators re-send the whole request).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_ListChannels.html
 *
 * <p>Thread-safe.
 */
final class ListChannelsHandler implements OperationHandler {
    /** "ListChannels returns at most 100 per page" (quotas page). */
    static final int MAX_PAGE = 100;

    private final ApiServices services;

    ListChannelsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String after = request.has("NextToken") ? decode(request.string("NextToken")) : null;
        int limit = request.has("MaxResults") ? Math.min(request.integer("MaxResults"), MAX_PAGE) : MAX_PAGE;
        List<Struct> filters = request.list("StreamFilter");
        List<Channel> page = new ArrayList<>();
        boolean more = false;
        for (Channel c : services.channels().list()) {
            if ((after != null && c.name().compareTo(after) <= 0) || !matches(c, filters)) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(c);
        }
        out.startArray("ChannelSummaries");
        for (Channel c : page) {
            ChannelOperations.summary(out, services.channels(), c);
        }
        out.endArray();
        if (more) {
            out.string("NextToken", encode(page.get(page.size() - 1).name()));
        }
    }

    private static boolean matches(Channel c, List<Struct> filters) {
        if (filters == null) {
            return true;
        }
        for (Struct f : filters) {
            Instant created = f.timestamp("StreamCreationTimestamp");
            if (f.string("StreamARN").equals(c.stream().arn()) && (created == null
                    || created.toEpochMilli() == c.stream().createdMs()
                    || created.getEpochSecond() == c.stream().createdMs() / 1000 && created.getNano() == 0)) {
                return true;
            }
        }
        return false;
    }

    private String encode(String lastName) {
        String text = "v1/" + services.streams().clock().millis() + "/" + lastName;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private String decode(String token) {
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("/", 3);
        } catch (IllegalArgumentException e) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        long issuedMs;
        try {
            issuedMs = parts.length == 3 && parts[0].equals("v1") ? Long.parseLong(parts[1]) : -1;
        } catch (NumberFormatException e) {
            issuedMs = -1;
        }
        if (issuedMs < 0) {
            throw KinesisException.invalidArgument("Invalid NextToken.");
        }
        if (services.streams().clock().millis() - issuedMs > ListShardsHandler.TOKEN_LIFETIME_MS) {
            throw KinesisException.expiredNextToken("The timestamp in NextToken has expired.");
        }
        return parts[2];
    }
}
