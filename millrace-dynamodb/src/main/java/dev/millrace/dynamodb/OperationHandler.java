package dev.millrace.dynamodb;

/**
 * One DynamoDB operation: reads its request, returns the response body. Errors are thrown as
 * {@link DynamoException}.
 *
 * <p>Implementations are thread-safe.
 */
interface OperationHandler {
    byte[] handle(Request request);
}
