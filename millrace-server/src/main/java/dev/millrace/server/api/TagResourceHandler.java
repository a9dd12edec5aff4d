package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;

/**
 * TagResource: AddTagsToStream addressed by ARN.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_TagResource.html
 *
 * <p>Thread-safe.
 */
final class TagResourceHandler implements OperationHandler {
    private final ApiServices services;

    TagResourceHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = ResourceArns.stream(services, request.string("ResourceARN")).name();
        AddTagsToStreamHandler.addTags(services, name, request.stringMap("Tags"));
    }
}
