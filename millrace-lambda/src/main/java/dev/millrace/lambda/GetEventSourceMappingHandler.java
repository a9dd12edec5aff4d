package dev.millrace.lambda;

/**
 * GetEventSourceMapping: the mapping as stored, in whatever state the engine has brought it to.
 * https://docs.aws.amazon.com/lambda/latest/api/API_GetEventSourceMapping.html
 *
 * <p>Thread-safe.
 */
final class GetEventSourceMappingHandler implements LambdaHandler {
    private final LambdaServices s;

    GetEventSourceMappingHandler(LambdaServices s) {
        this.s = s;
    }

    @Override
    public byte[] handle(Call call) {
        return MappingView.of(s.existing(call.uuid()), s.mappingArn(call.uuid()));
    }
}
