/**
 * IAM policies: {@link dev.millrace.auth.policy.PolicyDocument} parses and compiles a policy once (identity policies
 * from the identities file, resource policies from PutResourcePolicy), and {@link
 * dev.millrace.auth.policy.PolicyEvaluator} answers each request with IAM's evaluation logic and AWS's refusal texts.
 * Knows nothing of identities files, signatures or transports; the root package's {@code Authorizer} is the entry
 * point the server calls.
 */
package dev.millrace.auth.policy;
