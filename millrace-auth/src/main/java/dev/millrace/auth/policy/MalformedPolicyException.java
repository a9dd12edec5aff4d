package dev.millrace.auth.policy;

import dev.millrace.protocol.KinesisException;

/**
 * A policy document that is not valid IAM policy grammar, or that Millrace does not support. It is the error
 * Kinesis's {@code PutResourcePolicy} answers for a bad policy ({@code InvalidArgumentException}, 400), so the server
 * may throw it as is; texts follow IAM's {@code MalformedPolicyDocument} wording where IAM has one, and otherwise name
 * the element and the value at fault.
 *
 * <p>Immutable, thread-safe.
 */
public final class MalformedPolicyException extends KinesisException {
    public MalformedPolicyException(String message) {
        super("InvalidArgumentException", message, 400);
    }
}
