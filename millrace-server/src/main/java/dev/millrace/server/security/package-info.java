/**
 * Who may do what on this server: the identities it knows (reloadable), the authentication of every request
 * ({@code --auth sigv4}: AWS Signature Version 4, verified by millrace-auth), and the IAM policy check of every call
 * (the caller's identity policy and the resource's policy, with AWS's cross-account rules). The HTTP layer
 * authenticates; the operations' resources are known only once a request is read, so Kinesis calls are authorized by
 * {@link dev.millrace.server.api.KinesisApi} through {@link dev.millrace.server.api.Gatekeeper}, and the DynamoDB
 * and CloudWatch calls by the HTTP layer with their actions and resources.
 */
package dev.millrace.server.security;
