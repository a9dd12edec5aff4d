package dev.millrace.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * ListEventSourceMappings: the mappings in UUID order, filtered by EventSourceArn (exactly) and FunctionName (any
 * accepted form; a name without qualifier matches the function's mappings under every qualifier, one with a
 * qualifier only those), at most MaxItems (1 to 10,000) and never more than 100 per page, as Lambda documents.
 * NextMarker (present only when more follow) is opaque: the last UUID answered, base64url.
 * https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html
 *
 * <p>Thread-safe.
 */
final class ListEventSourceMappingsHandler implements LambdaHandler {
    static final int MAX_PAGE_ITEMS = 100;
    private static final Pattern ARN = Pattern.compile(MappingInput.ARN_REGEX);
    private static final Pattern FUNCTION = Pattern.compile(FunctionRef.MODEL_PATTERN);
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F-]{36}");
    private final LambdaServices s;

    ListEventSourceMappingsHandler(LambdaServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(Call call) {
        String source = call.param("EventSourceArn");
        String function = call.param("FunctionName");
        String marker = call.param("Marker");
        Integer maxItems = maxItems(call.param("MaxItems"));
        Violations v = new Violations();
        v.length(source, "eventSourceArn", 0, 10_000);
        v.pattern(source, "eventSourceArn", ARN, MappingInput.ARN_REGEX);
        v.length(function, "functionName", 1, FunctionRef.MAX_CHARS);
        v.pattern(function, "functionName", FUNCTION, FunctionRef.MODEL_PATTERN);
        v.range(maxItems, "maxItems", 1, 10_000);
        v.throwIfAny();
        String after = marker == null ? null : uuidOf(marker);
        FunctionRef wanted = function == null ? null : FunctionRef.resolve(function, s.account);
        int limit = Math.min(maxItems == null ? MAX_PAGE_ITEMS : maxItems, MAX_PAGE_ITEMS);

        List<EventSourceMapping> page = new ArrayList<>();
        boolean more = false;
        if (function == null || wanted != null) {
            for (EventSourceMapping m : s.store.all()) {
                if ((after != null && m.uuid().compareTo(after) <= 0) || (source != null
                        && !source.equals(m.eventSourceArn())) || (wanted != null && !matches(wanted, m))) {
                    continue;
                }
                if (page.size() == limit) {
                    more = true;
                    break;
                }
                page.add(m);
            }
        }
        String next = more ? token(page.get(page.size() - 1).uuid()) : null;
        return LambdaJson.object(g -> {
            if (next != null) {
                g.writeStringField("NextMarker", next);
            }
            g.writeArrayFieldStart("EventSourceMappings");
            for (EventSourceMapping m : page) {
                g.writeStartObject();
                MappingView.members(g, m, s.mappingArn(m.uuid()));
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    private static boolean matches(FunctionRef wanted, EventSourceMapping m) {
        FunctionRef mapped = FunctionRef.ofArn(m.functionArn());
        return wanted.name().equals(mapped.name())
                && (wanted.qualifier() == null || wanted.qualifier().equals(mapped.qualifier()));
    }

    private static Integer maxItems(String given) {
        if (given == null) {
            return null;
        }
        try {
            return Integer.valueOf(given);
        } catch (NumberFormatException e) {
            throw LambdaException.invalidParameter("MaxItems must be an integer from 1 to 10000, not '"
                    + (given.length() <= 32 ? given : given.substring(0, 32) + "...") + "'.");
        }
    }

    static String token(String uuid) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(uuid.getBytes(StandardCharsets.UTF_8));
    }

    private static String uuidOf(String marker) {
        try {
            String uuid = new String(Base64.getUrlDecoder().decode(marker), StandardCharsets.UTF_8);
            if (UUID_TEXT.matcher(uuid).matches()) {
                return uuid;
            }
        } catch (IllegalArgumentException notBase64) {
            // answered below
        }
        throw LambdaException.invalidParameter("Marker is not one a ListEventSourceMappings answer gave.");
    }
}
