/**
 * The invocation records a Kinesis event source mapping sends to its OnFailure destination when it discards a batch
 * (facts §5): the JSON for SQS, SNS and (a Millrace extension) Kinesis streams, and the S3 object's body and key.
 */
package dev.millrace.lambda.failure;
