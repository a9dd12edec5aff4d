package dev.millrace.server.api;

import dev.millrace.auth.policy.PolicyDocument;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * PutResourcePolicy: attaches a policy document to a stream or consumer, returned by GetResourcePolicy and, with
 * {@code --auth sigv4}, evaluated with the caller's own policy on every call to the resource (IAM's cross-account
 * rules). A document IAM would refuse is refused here, with its reason.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutResourcePolicy.html
 *
 * <p>Thread-safe.
 */
final class PutResourcePolicyHandler implements OperationHandler {
    static final int MAX_POLICY_BYTES = 20 * 1024;

    private final ApiServices services;

    PutResourcePolicyHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String arn = request.string("ResourceARN");
        String name = ResourceArns.owner(services, arn).name();
        String policy = request.string("Policy");
        if (policy.isBlank() || !policy.trim().startsWith("{")) {
            throw KinesisException.invalidArgument("Policy must be a JSON policy document.");
        }
        if (policy.length() > MAX_POLICY_BYTES) {
            throw KinesisException.invalidArgument("Policy is larger than " + MAX_POLICY_BYTES + " characters.");
        }
        PolicyDocument.parseResourcePolicy(policy); // MalformedPolicyException is AWS's InvalidArgumentException
        // Under the registry's lock, and refused once the stream is DELETING: DeleteStream drops the stream's
        // policies after marking it so, and a policy stored later would pass to a new stream of the same name.
        services.streams().updateAnyState(name, s -> {
            services.policies().put(arn, policy);
            return s;
        });
    }
}
