package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Stream tags as AWS answers them (its recorded answers to AddTagsToStream, RemoveTagsFromStream and
 * ListTagsForStream): the allowed characters and the two messages, the per-stream limit, and ListTagsForStream's key
 * order and paging. TagResource, UntagResource, CreateStream and RegisterStreamConsumer apply the same character rule.
 */
class TagsTest {
    private static final String INVALID = "Some tags contain invalid characters. Valid characters: Unicode letters, "
            + "digits, white space, _ . / = + - % @.";
    private static final String PERCENT = " because some tags contained illegal characters. The allowed characters "
            + "are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.";
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s";

    @TempDir
    Path dir;
    private ApiHarness api;

    @BeforeEach
    void stream() {
        api = new ApiHarness(dir, new ManualClock(1_700_000_000_000L), ScalingLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private ApiHarness.ApiError error(String operation, String body) {
        return catchThrowableOfType(() -> api.call(operation, body), ApiHarness.ApiError.class);
    }

    /** A JSON string literal; control characters escaped as \\uXXXX. */
    private static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == '"' || c == '\\') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    @SuppressWarnings("unchecked")
    private List<String> keys(String body) {
        return ((List<Map<String, Object>>) api.call("ListTagsForStream", body).get("Tags")).stream()
                .map(t -> (String) t.get("Key")).toList();
    }

    @Test
    void charactersOutsideLettersDigitsSpacesAndTheSymbolsAreRefusedInKeysAndValues() {
        for (String bad : List.of("abc;def", "abc\tdef", "abc\ndef", "abc,def", "a#b", "a\u0000b")) {
            ApiHarness.ApiError key = error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{" + json(bad)
                    + ":\"1\"}}");
            assertThat(key.type).as(bad).isEqualTo("InvalidArgumentException");
            assertThat(key.message).as(bad).isEqualTo(INVALID);
            ApiHarness.ApiError value = error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"a\":" + json(bad)
                    + "}}");
            assertThat(value.message).as(bad).isEqualTo(INVALID);
            ApiHarness.ApiError removed = error("RemoveTagsFromStream", "{\"StreamName\":\"s\",\"TagKeys\":["
                    + json(bad) + "]}");
            assertThat(removed.message).as(bad).isEqualTo(INVALID);
            assertThat(error("TagResource", "{\"ResourceARN\":\"" + ARN + "\",\"Tags\":{" + json(bad) + ":\"1\"}}")
                    .message).as(bad).isEqualTo(INVALID);
            assertThat(error("UntagResource", "{\"ResourceARN\":\"" + ARN + "\",\"TagKeys\":[" + json(bad) + "]}")
                    .message).as(bad).isEqualTo(INVALID);
        }
        assertThat(keys("{\"StreamName\":\"s\"}")).isEmpty();
    }

    @Test
    void aPercentSignPassesTheFirstCheckAndIsRefusedByTheSecond() {
        ApiHarness.ApiError add = error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"abc%def\":\"1\"}}");
        assertThat(add.type).isEqualTo("InvalidArgumentException");
        assertThat(add.message).isEqualTo("Failed to add tags to stream s under account 000000000000" + PERCENT);
        assertThat(error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"abc%def\"}}").message)
                .isEqualTo("Failed to add tags to stream s under account 000000000000" + PERCENT);
        assertThat(error("RemoveTagsFromStream", "{\"StreamName\":\"s\",\"TagKeys\":[\"abc%def\"]}").message)
                .isEqualTo("Failed to remove tags from stream s under account 000000000000" + PERCENT);
        assertThat(error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"a%\":\"b;\"}}").message)
                .as("every tag passes the first check before any meets the second").isEqualTo(INVALID);
    }

    @Test
    void theStreamIsLookedUpBeforeTheTags() {
        ApiHarness.ApiError e = error("AddTagsToStream", "{\"StreamName\":\"nope\",\"Tags\":{\"a;\":\"b\"}}");
        assertThat(e.type).isEqualTo("ResourceNotFoundException");
        assertThat(e.message).isEqualTo("Stream nope under account 000000000000 not found.");
        assertThat(error("RemoveTagsFromStream", "{\"StreamName\":\"nope\",\"TagKeys\":[\";\"]}").type)
                .isEqualTo("ResourceNotFoundException");
    }

    @Test
    void lettersDigitsSpacesAndTheSymbolsAreAccepted() {
        api.call("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"a\",\"ü0 _.\":\"a\",\"/=+-@\":\"a\","
                + "\"b\":\"ü0 _./=+-@\",\"c\":\"\",\"k:v\":\"x:y\"}}");
        assertThat(keys("{\"StreamName\":\"s\"}")).containsExactly("/=+-@", "a", "b", "c", "k:v", "ü0 _.");
        api.call("RemoveTagsFromStream", "{\"StreamName\":\"s\",\"TagKeys\":[\"ü0 _.\",\"/=+-@\",\"never\"]}");
        assertThat(keys("{\"StreamName\":\"s\"}")).containsExactly("a", "b", "c", "k:v");
    }

    @Test
    void aStreamHoldsFiftyTagsAndAwsSaysTenWhenOneMoreIsAdded() {
        for (int i = 0; i < 50; i += 10) {
            StringBuilder tags = new StringBuilder();
            for (int j = i; j < i + 10; j++) {
                tags.append(j == i ? "" : ",").append("\"k").append(j).append("\":\"v\"");
            }
            api.call("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{" + tags + "}}");
        }
        api.call("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"k0\":\"overwritten\"}}");
        ApiHarness.ApiError e = error("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"one-more\":\"v\"}}");
        assertThat(e.type).isEqualTo("InvalidArgumentException");
        assertThat(e.message).isEqualTo("Failed to add tags to stream s under account 000000000000 because a given "
                + "stream cannot have more than 10 tags associated with it.");
        assertThat(keys("{\"StreamName\":\"s\",\"Limit\":50}")).hasSize(50).doesNotContain("one-more");
    }

    @Test
    void listTagsForStreamPagesInKeyOrderAfterAnExclusiveStartKey() {
        api.call("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"b\",\" \":\"a\",\"ÿ\":\"a\",\"_\":\"a\","
                + "\"/\":\"a\",\"=\":\"a\",\"+\":\"a\",\"Zb\":\"z\",\"0\":\"a\",\"@\":\"a\"}}");
        assertThat(keys("{\"StreamName\":\"s\"}")).containsExactly(" ", "+", "/", "0", "=", "@", "Zb", "_", "a", "ÿ");
        Map<String, Object> page = api.call("ListTagsForStream",
                "{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"@\",\"Limit\":2}");
        assertThat(page.get("HasMoreTags")).isEqualTo(true);
        assertThat(keys("{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"@\",\"Limit\":2}"))
                .containsExactly("Zb", "_");
        assertThat(keys("{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"Za$Z%*(*&@,,.,,\"}"))
                .as("a start key that is not a tag").containsExactly("Zb", "_", "a", "ÿ");
        Map<String, Object> last = api.call("ListTagsForStream",
                "{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"_\",\"Limit\":2}");
        assertThat(last.get("HasMoreTags")).isEqualTo(false);
        assertThat(keys("{\"StreamName\":\"s\",\"ExclusiveStartTagKey\":\"ÿ\",\"Limit\":1}")).isEmpty();
    }

    @Test
    void createStreamAndRegisterStreamConsumerApplyTheSameRule() {
        ApiHarness.ApiError create = error("CreateStream", "{\"StreamName\":\"t\",\"ShardCount\":1,"
                + "\"Tags\":{\"a\":\"x;y\"}}");
        assertThat(create.type).isEqualTo("InvalidArgumentException");
        assertThat(create.message).isEqualTo(INVALID);
        assertThat(error("DescribeStreamSummary", "{\"StreamName\":\"t\"}").type)
                .isEqualTo("ResourceNotFoundException");
        ApiHarness.ApiError register = error("RegisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "\","
                + "\"ConsumerName\":\"c\",\"Tags\":{\"a%\":\"b\"}}");
        assertThat(register.type).isEqualTo("InvalidArgumentException");
        assertThat(register.message).startsWith("Failed to register consumer c with stream s under account "
                + "000000000000 because some tags contained illegal characters.");
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "\",\"ConsumerName\":\"c\","
                + "\"Tags\":{\"team\":\"a b\"}}");
    }
}
