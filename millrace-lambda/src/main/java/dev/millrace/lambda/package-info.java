/**
 * Lambda-style event source mappings for Kinesis sources: Lambda's mapping API ({@link dev.millrace.lambda.LambdaApi},
 * one handler per operation, dispatched by method and path), the functions the server's configuration registers
 * ({@link dev.millrace.lambda.FunctionRegistry}) and what the API asks of the server's streams
 * ({@link dev.millrace.lambda.StreamLookup}). The mappings' store is in {@code dev.millrace.lambda.mapping}. Facts
 * about AWS's behaviour: {@code docs/reference/lambda-esm-facts.md}.
 */
package dev.millrace.lambda;
