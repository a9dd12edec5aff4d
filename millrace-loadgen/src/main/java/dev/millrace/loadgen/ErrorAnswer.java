package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.kinesis.model.KinesisException;

import java.io.IOException;

/**
 * Reads a Kinesis error answer (CBOR or JSON: {@code __type} and {@code message}) into the exception the SDK would
 * throw for it, so that the generator counts errors the same way whichever client made the call.
 *
 * <p>Thread-safe: stateless.
 */
final class ErrorAnswer {
    private ErrorAnswer() {
    }

    /**
     * The exception the SDK would throw for an error answer: its AWS error code is {@code __type} without the
     * namespace some services put before a {@code #}, or, when the body names none, the {@code X-Amzn-ErrorType}
     * header's value before any {@code :}, or {@code HTTP <status>}.
     */
    static KinesisException read(int status, String errorTypeHeader, JsonParser p) {
        String type = null;
        String message = null;
        try {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    if ("__type".equals(field)) {
                        type = p.getText();
                    } else if ("message".equalsIgnoreCase(field)) {
                        message = p.getText();
                    } else {
                        p.skipChildren();
                    }
                }
            }
        } catch (IOException e) {
            // Not a JSON or CBOR body (a proxy's HTML page, say): the status and the header still name the error.
            message = "unreadable error body: " + e.getMessage();
        }
        if (type == null && errorTypeHeader != null) {
            type = errorTypeHeader.split(":", 2)[0];
        }
        String code = type == null ? "HTTP " + status : type.substring(type.indexOf('#') + 1);
        return (KinesisException) KinesisException.builder()
                .statusCode(status)
                .message(code + ": " + message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message)
                        .serviceName("Kinesis").build())
                .build();
    }
}
