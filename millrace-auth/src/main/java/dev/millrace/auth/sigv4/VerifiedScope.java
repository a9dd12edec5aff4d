package dev.millrace.auth.sigv4;

import java.time.LocalDate;

/**
 * Who signed a request that verified, and for what: the access key id and the credential scope
 * ({@code AKID/20261206/eu-west-1/kinesis/aws4_request}) the signature was made for.
 *
 * @param accessKeyId the key the request was signed with; its secret matched
 * @param region      the scope's region, e.g. {@code eu-west-1}
 * @param service     the scope's service signing name, e.g. {@code kinesis}, {@code dynamodb}, {@code monitoring}
 * @param date        the scope's date, which is the request's own UTC date
 */
public record VerifiedScope(String accessKeyId, String region, String service, LocalDate date) {
}
