/**
 * The Kinesis Data Streams wire: the API model ({@link dev.millrace.protocol.ApiModel}, loaded from botocore's
 * {@code service-2.json}), a shape-driven reader for JSON 1.1 and CBOR 1.1 bodies ({@link
 * dev.millrace.protocol.RequestReader}), validation with AWS's wording ({@link dev.millrace.protocol.Validator}), a
 * writer for responses ({@link dev.millrace.protocol.WireWriter}) and the AWS error family ({@link
 * dev.millrace.protocol.KinesisException}). No Netty, no storage.
 */
package dev.millrace.protocol;
