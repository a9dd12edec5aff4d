/**
 * AWS Signature Version 4 verification without a transport: {@link dev.millrace.auth.sigv4.SigV4Verifier} checks a
 * {@link dev.millrace.auth.sigv4.ReceivedRequest}'s {@code Authorization} header or presigned query string, in the order
 * and with the errors AWS answers, and verifies the signature by signing the request again with the AWS SDK's own
 * signer. Nothing here knows Netty or the server; the server turns the errors into each service's format.
 */
package dev.millrace.auth.sigv4;
