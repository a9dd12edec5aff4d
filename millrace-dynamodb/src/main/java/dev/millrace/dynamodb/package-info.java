/**
 * The DynamoDB JSON 1.0 subset that KCL 3.x (lease table, CoordinatorState, WorkerMetricStats) and the DynamoDB Lock
 * Client 1.4 use, without a transport: {@link dev.millrace.dynamodb.DynamoApi} takes the {@code X-Amz-Target} and body
 * and returns status, body and error type. Tables live in memory and are written through to the
 * {@link dev.millrace.storage.MetadataStore} under {@code dynamodb/<table>/meta} and
 * {@code dynamodb/<table>/item/<key>}.
 */
package dev.millrace.dynamodb;
