/**
 * Where objects go: an S3-compatible store through the AWS SDK's S3 client (path-style optional, multipart for large
 * objects), or, with no S3 endpoint configured, plain files under the data directory.
 */
package dev.millrace.channels.s3;
