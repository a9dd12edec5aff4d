package dev.millrace.dynamodb;

import dev.millrace.protocol.Failures;
import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The DynamoDB subset KCL 3.x and the DynamoDB Lock Client need, over JSON 1.0 and free of any transport: the server
 * hands it the {@code X-Amz-Target} and the body, and sends back the status, body and error type it returns (the
 * error type belongs in {@code x-amzn-ErrorType}; the body carries {@code __type} as DynamoDB does). Tables and items
 * live in memory and are written through to the {@link MetadataStore} under {@code dynamodb/}, so they survive
 * restarts; memory also follows the store's change feed, so a node that shares its store with a writer holds what the
 * writer committed when it becomes the writer itself. Nothing here commits but a request's own change, so a follower
 * (the server forwards every DynamoDB call to the writer) never commits.
 *
 * <p>Thread-safe: any number of threads may call {@link #handle}; writes to one table are serialised by its lock.
 */
public final class DynamoApi {
    private static final Logger log = LoggerFactory.getLogger(DynamoApi.class);
    /** The target prefix of DynamoDB's API version 2012-08-10. */
    public static final String TARGET_PREFIX = "DynamoDB_20120810.";
    public static final String CONTENT_TYPE = "application/x-amz-json-1.0";

    /** An answer: HTTP status, JSON body, and the short error type (null on success). */
    public record Result(int httpStatus, byte[] body, String errorType) {
    }

    private final Map<String, OperationHandler> handlers = new HashMap<>();

    public DynamoApi(MetadataStore store, Clock clock) {
        this(store, clock, "us-east-1", "000000000000");
    }

    public DynamoApi(MetadataStore store, Clock clock, String region, String accountId) {
        Services services = new Services(new Tables(store), clock, region, accountId);
        register("CreateTable", services, CreateTableHandler::new);
        register("DescribeTable", services, DescribeTableHandler::new);
        register("UpdateTable", services, UpdateTableHandler::new);
        register("DeleteTable", services, DeleteTableHandler::new);
        register("ListTables", services, ListTablesHandler::new);
        register("UpdateContinuousBackups", services, UpdateContinuousBackupsHandler::new);
        register("DescribeContinuousBackups", services, DescribeContinuousBackupsHandler::new);
        register("GetItem", services, GetItemHandler::new);
        register("PutItem", services, PutItemHandler::new);
        register("UpdateItem", services, UpdateItemHandler::new);
        register("DeleteItem", services, DeleteItemHandler::new);
        register("Query", services, QueryHandler::new);
        register("Scan", services, ScanHandler::new);
        register("TransactWriteItems", services, TransactWriteItemsHandler::new);
        register("BatchGetItem", services, BatchGetItemHandler::new);
        register("BatchWriteItem", services, BatchWriteItemHandler::new);
    }

    private void register(String operation, Services services, Function<Services, OperationHandler> factory) {
        handlers.put(operation, factory.apply(services));
    }

    /** True when {@code target} is a DynamoDB target, so a server sharing one port with Kinesis can route it here. */
    public static boolean isDynamoTarget(String target) {
        return target != null && target.startsWith(TARGET_PREFIX);
    }

    /**
     * Handles one call: {@code target} is the X-Amz-Target header, e.g. {@code DynamoDB_20120810.GetItem}. Never
     * throws.
     */
    public Result handle(String target, byte[] jsonBody) {
        OperationHandler handler = isDynamoTarget(target)
                ? handlers.get(target.substring(TARGET_PREFIX.length())) : null;
        try {
            if (handler == null) {
                throw DynamoException.unknownOperation();
            }
            return new Result(200, handler.handle(new Request(DynamoJson.parseObject(jsonBody))), null);
        } catch (DynamoException e) {
            return error(e);
        } catch (Throwable e) {
            // A storage failure, a bug, a StackOverflowError or a survivable OutOfMemoryError: the client still gets
            // an answer, a retryable 500, and the log one line (a stack overflow's trace is a thousand).
            log.error("DynamoDB {} failed: {}", target, Failures.brief(e));
            return error(DynamoException.internal("Internal server error"));
        }
    }

    /**
     * The tables a call acts on, for its IAM check ({@code dynamodb:<operation>} on each one's ARN,
     * {@code arn:aws:dynamodb:REGION:ACCOUNT:table/<what this gives>}): the {@code TableName} (with
     * {@code /index/<IndexName>} for a Query or Scan of an index), the tables of a batch's {@code RequestItems}, those
     * of a transaction's items. Empty for an
     * operation on no table (ListTables) and for a body that does not parse (the call itself then answers that).
     */
    public static List<String> tablesOf(byte[] jsonBody) {
        Map<String, Object> body;
        try {
            body = DynamoJson.parseObject(jsonBody);
        } catch (RuntimeException e) {
            return List.of();
        }
        Set<String> tables = new LinkedHashSet<>();
        if (body.get("TableName") instanceof String name) {
            // A Query or Scan of an index is authorized on the index, as AWS does: table/T/index/I.
            tables.add(body.get("IndexName") instanceof String index ? name + "/index/" + index : name);
        }
        if (body.get("RequestItems") instanceof Map<?, ?> items) {
            items.keySet().forEach(k -> tables.add(String.valueOf(k)));
        }
        if (body.get("TransactItems") instanceof List<?> items) {
            for (Object item : items) {
                if (item instanceof Map<?, ?> kinds) {
                    for (Object action : kinds.values()) {
                        if (action instanceof Map<?, ?> a && a.get("TableName") instanceof String name) {
                            tables.add(name);
                        }
                    }
                }
            }
        }
        return List.copyOf(tables);
    }

    /** An authentication or authorization failure as DynamoDB answers it ({@code com.amazon.coral.service#...}). */
    public static Result securityError(String errorType, String message, int httpStatus) {
        return error(new DynamoException(DynamoException.CORAL_SERVICE, errorType, message, httpStatus, null, null));
    }

    /**
     * DynamoDB's retryable 500 with {@code message}: for a call this node could not get answered (another node of a
     * cluster was to run it and could not be reached).
     */
    public static Result internalError(String message) {
        return error(DynamoException.internal(message));
    }

    static Result error(DynamoException e) {
        byte[] body = DynamoJson.object(g -> {
            g.writeStringField("__type", e.qualifiedType());
            if (e.reasons() != null) {
                // DynamoDB spells this one "Message"; the SDK reads either.
                g.writeStringField("Message", e.getMessage());
                g.writeArrayFieldStart("CancellationReasons");
                for (DynamoException.CancellationReason r : e.reasons()) {
                    g.writeStartObject();
                    g.writeStringField("Code", r.code());
                    if (r.message() != null) {
                        g.writeStringField("Message", r.message());
                    }
                    if (r.item() != null) {
                        DynamoJson.writeItemField(g, "Item", r.item());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                return;
            }
            if (e.getMessage() != null) {
                g.writeStringField("message", e.getMessage());
            }
            if (e.item() != null) {
                DynamoJson.writeItemField(g, "Item", e.item());
            }
        });
        return new Result(e.httpStatus(), body, e.errorType());
    }
}
