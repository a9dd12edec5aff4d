/**
 * Invoking a function with a batch: the Kinesis event Lambda sends
 * ({@link dev.millrace.lambda.invoke.KinesisEventWriter}),
 * the HTTP call to the function's URL and what came back ({@link dev.millrace.lambda.invoke.FunctionInvoker},
 * {@link dev.millrace.lambda.invoke.InvokeOutcome}), and what a successful response says about the batch
 * ({@link dev.millrace.lambda.invoke.BatchResponse}). Building blocks for the processing loop, which owns retries,
 * bisection and checkpoints. Facts: {@code docs/reference/lambda-esm-facts.md} sections 3, 4 and 7.
 */
package dev.millrace.lambda.invoke;
