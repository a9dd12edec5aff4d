package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * GetResourcePolicy: the stream's policy document, or an empty policy ({@code {}}) when it has none, as AWS answers.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetResourcePolicy.html
 *
 * <p>Thread-safe.
 */
final class GetResourcePolicyHandler implements OperationHandler {
    private final ApiServices services;

    GetResourcePolicyHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String arn = request.string("ResourceARN");
        ResourceArns.owner(services, arn);
        out.string("Policy", services.policies().get(arn).orElse("{}"));
    }
}
