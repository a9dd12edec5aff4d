package dev.millrace.dynamodb;

import java.util.List;
import java.util.Map;

/**
 * An error answered to a DynamoDB client. DynamoDB sends {@code __type} as {@code <namespace>#<name>}; the SDKs keep
 * the part after '#', so the namespace only has to look like DynamoDB's: {@code com.amazonaws.dynamodb.v20120810}
 * for the service's own errors, {@code com.amazon.coral.validate} for ValidationException and
 * {@code com.amazon.coral.service} for protocol errors. A conditional failure may carry the item
 * (ReturnValuesOnConditionCheckFailure ALL_OLD, which KCL's lease renewal reads), a cancelled transaction its
 * reasons.
 *
 * <p>Immutable, thread-safe.
 */
public final class DynamoException extends RuntimeException {
    static final String DYNAMO = "com.amazonaws.dynamodb.v20120810";
    static final String CORAL_VALIDATE = "com.amazon.coral.validate";
    static final String CORAL_SERVICE = "com.amazon.coral.service";
    static final String CONDITIONAL_REQUEST_FAILED = "The conditional request failed";

    /** One entry of a TransactionCanceledException: {@code code} is "None" for an item that did not fail. */
    public record CancellationReason(String code, String message, Map<String, AttributeValue> item) {
    }

    private final String namespace;
    private final String errorType;
    private final int httpStatus;
    private final Map<String, AttributeValue> item;
    private final List<CancellationReason> reasons;

    DynamoException(String namespace, String errorType, String message, int httpStatus,
                    Map<String, AttributeValue> item, List<CancellationReason> reasons) {
        super(message, null, false, false);
        this.namespace = namespace;
        this.errorType = errorType;
        this.httpStatus = httpStatus;
        this.item = item;
        this.reasons = reasons;
    }

    static DynamoException client(String errorType, String message) {
        return new DynamoException(DYNAMO, errorType, message, 400, null, null);
    }

    public static DynamoException validation(String message) {
        return new DynamoException(CORAL_VALIDATE, "ValidationException", message, 400, null, null);
    }

    static DynamoException serialization(String message) {
        return new DynamoException(CORAL_SERVICE, "SerializationException", message, 400, null, null);
    }

    static DynamoException unknownOperation() {
        return new DynamoException(CORAL_SERVICE, "UnknownOperationException", null, 400, null, null);
    }

    static DynamoException resourceNotFound(String message) {
        return client("ResourceNotFoundException", message);
    }

    /** What DynamoDB says when an item operation names a table that does not exist. */
    static DynamoException tableNotFound() {
        return resourceNotFound("Requested resource not found");
    }

    static DynamoException resourceInUse(String message) {
        return client("ResourceInUseException", message);
    }

    /** {@code item} is the current item when the caller asked for it (ALL_OLD) and it exists, else null. */
    static DynamoException conditionalCheckFailed(Map<String, AttributeValue> item) {
        return new DynamoException(DYNAMO, "ConditionalCheckFailedException", CONDITIONAL_REQUEST_FAILED, 400, item,
                null);
    }

    static DynamoException transactionCanceled(List<CancellationReason> reasons) {
        StringBuilder codes = new StringBuilder();
        for (CancellationReason r : reasons) {
            codes.append(codes.length() == 0 ? "" : ", ").append(r.code());
        }
        return new DynamoException(DYNAMO, "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons [" + codes + "]", 400,
                null, List.copyOf(reasons));
    }

    static DynamoException internal(String message) {
        return new DynamoException(DYNAMO, "InternalServerError", message, 500, null, null);
    }

    /** The short error name, as the SDKs and the {@code x-amzn-ErrorType} header use it. */
    public String errorType() {
        return errorType;
    }

    /** The {@code __type} DynamoDB puts in the body. */
    public String qualifiedType() {
        return namespace + "#" + errorType;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The item returned with a conditional failure, or null. */
    public Map<String, AttributeValue> item() {
        return item;
    }

    /** The reasons of a TransactionCanceledException, or null. */
    public List<CancellationReason> reasons() {
        return reasons;
    }
}
