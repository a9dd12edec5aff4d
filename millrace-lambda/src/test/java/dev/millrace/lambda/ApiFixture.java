package dev.millrace.lambda;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.JsonTree;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A mapping API on a real (file) metadata store, with two registered functions, two streams and a consumer, and the
 * calls and checks the handler tests share. Bodies are written with ' for " to stay readable.
 */
abstract class ApiFixture {
    static final Account ACCOUNT = new Account("eu-west-1", "123456789012");
    static final String STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";
    static final String OTHER_STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/payments";
    static final String CONSUMER = STREAM + "/consumer/efo:1765000000";
    static final String FN_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:fn";
    static final String ESM_ARN_PREFIX = "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:";
    static final long NOW_MS = 1_765_000_000_123L;
    static final String LAST_MODIFIED = "1765000000.123";
    private static final JsonFactory JSON = new JsonFactory();

    @TempDir
    Path dir;
    FileMetadataStore store;
    final ManualClock clock = new ManualClock(NOW_MS);
    final FakeStreams streams = new FakeStreams().stream(STREAM, 1_700_000_000_000L)
            .stream(OTHER_STREAM, 1_700_000_000_000L).consumer(CONSUMER, STREAM);
    final FunctionRegistry functions = FunctionRegistry.parse(List.of(
            "fn=http://127.0.0.1:9000/2015-03-31/functions/function/invocations", "other=https://fn.example/x"));
    LambdaApi api;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir);
        api = newApi();
    }

    LambdaApi newApi() {
        return new LambdaApi(store, clock, ACCOUNT, functions, streams);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static byte[] bytes(String quoted) {
        return quoted == null ? null : quoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    LambdaApi.Result call(String method, String path, String body) {
        return api.handle(method, path, Map.of(), bytes(body));
    }

    LambdaApi.Result list(Map<String, List<String>> query) {
        return api.handle("GET", LambdaApi.BASE, query, null);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> decode(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Map<String, Object> decode(String quoted) {
        return decode(bytes(quoted));
    }

    static String text(LambdaApi.Result r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    Map<String, Object> ok(int status, LambdaApi.Result r) {
        assertThat(r.httpStatus()).as(text(r)).isEqualTo(status);
        assertThat(r.errorType()).isNull();
        return decode(r.body());
    }

    Map<String, Object> create(String body) {
        return ok(202, call("POST", LambdaApi.BASE, body));
    }

    /** Creates fn on STREAM from LATEST with {@code extra} members ("" or ",'BatchSize':5"). */
    Map<String, Object> createDefault(String extra) {
        return create("{'FunctionName':'fn','EventSourceArn':'" + STREAM + "','StartingPosition':'LATEST'" + extra
                + "}");
    }

    /** The error's message, after checking status, type (header and __type), Type and the message member's case. */
    static String fails(LambdaApi.Result r, int status, String type) {
        assertThat(r.httpStatus()).as(text(r)).isEqualTo(status);
        assertThat(r.errorType()).as(text(r)).isEqualTo(type);
        Map<String, Object> error = decode(r.body());
        assertThat(error).containsEntry("__type", type).containsEntry("Type", status >= 500 ? "Service" : "User");
        boolean capital = type.equals("ResourceNotFoundException") || type.equals("ResourceInUseException")
                || type.equals("ServiceException");
        String key = capital ? "Message" : "message";
        assertThat(error.keySet()).containsExactlyInAnyOrder("__type", "Type", key);
        return (String) error.get(key);
    }

    /**
     * The whole answer for a mapping of fn on STREAM from LATEST with every default, as AWS answered for Kinesis (facts
     * §1.6), in {@code state}; {@code overrides} replace or add members.
     */
    static Map<String, Object> expected(String uuid, String state, String overrides) {
        Map<String, Object> m = decode("{'UUID':'" + uuid + "','StartingPosition':'LATEST','BatchSize':100,"
                + "'MaximumBatchingWindowInSeconds':0,'ParallelizationFactor':1,'EventSourceArn':'" + STREAM + "',"
                + "'FunctionArn':'" + FN_ARN + "','LastModified':" + LAST_MODIFIED + ",'LastProcessingResult':"
                + "'No records processed','State':'" + state + "','StateTransitionReason':'User action',"
                + "'DestinationConfig':{'OnFailure':{}},'MaximumRecordAgeInSeconds':-1,"
                + "'BisectBatchOnFunctionError':false,'MaximumRetryAttempts':-1,'TumblingWindowInSeconds':0,"
                + "'FunctionResponseTypes':[],'EventSourceMappingArn':'" + ESM_ARN_PREFIX + uuid + "'}");
        if (!overrides.isEmpty()) {
            m.putAll(decode(overrides));
        }
        return m;
    }
}
