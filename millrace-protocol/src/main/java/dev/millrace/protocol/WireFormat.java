package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;

/**
 * The two body encodings of the Kinesis API. A response (errors included) always uses the request's encoding: the
 * Java SDK cannot read a JSON error sent to a CBOR request.
 *
 * <p>Immutable, thread-safe (Jackson factories are thread-safe once configured).
 */
public enum WireFormat {
    JSON("application/x-amz-json-1.1", new JsonFactory()),
    CBOR("application/x-amz-cbor-1.1", new CBORFactory());

    private final String contentType;
    private final JsonFactory factory;

    WireFormat(String contentType, JsonFactory factory) {
        this.contentType = contentType;
        this.factory = factory;
    }

    public String contentType() {
        return contentType;
    }

    JsonFactory factory() {
        return factory;
    }

    /** CBOR when the content type says so; JSON otherwise (also for {@code application/json} or none). */
    public static WireFormat fromContentType(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).contains("cbor") ? CBOR : JSON;
    }
}
