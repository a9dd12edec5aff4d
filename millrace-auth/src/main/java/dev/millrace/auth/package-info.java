/**
 * AWS's security model without a transport: who is calling (identities and their keys), whether a request is signed
 * by them (SigV4, package {@code sigv4}), and what they may do (IAM policy evaluation, package {@code policy}).
 * Depends on the protocol module only for AWS's errors; the server decides where in a request's path each check runs.
 */
package dev.millrace.auth;
