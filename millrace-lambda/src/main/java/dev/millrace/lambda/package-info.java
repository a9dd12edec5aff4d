/**
 * Lambda-style event source mappings for Kinesis sources: Lambda's mapping API (one handler per operation, dispatched
 * by method and path) and the mappings' store. Functions are HTTP endpoints registered in the server's configuration.
 * Facts about AWS's behaviour: {@code docs/reference/lambda-esm-facts.md}.
 */
package dev.millrace.lambda;
