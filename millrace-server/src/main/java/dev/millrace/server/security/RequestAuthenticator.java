package dev.millrace.server.security;

import dev.millrace.auth.Identity;
import dev.millrace.auth.sigv4.ReceivedRequest;
import dev.millrace.auth.sigv4.SigV4Verifier;
import dev.millrace.auth.sigv4.VerifiedScope;
import dev.millrace.protocol.KinesisException;

import java.time.Clock;

/**
 * Authenticates a request with AWS Signature Version 4 against the server's identities: who signed it, for which
 * region. Every service on the port is checked the same way; each answers the failure in its own format.
 *
 * <p>Thread-safe.
 */
public final class RequestAuthenticator {
    /** The signing names of the services the port serves. */
    public static final String KINESIS = "kinesis";
    public static final String DYNAMODB = "dynamodb";
    public static final String CLOUDWATCH = "monitoring";
    public static final String STS = "sts";
    public static final String GLUE = "glue";
    public static final String LAMBDA = "lambda";

    private final ServerIdentities identities;
    private final SigV4Verifier verifier;

    public RequestAuthenticator(ServerIdentities identities, Clock clock) {
        this.identities = identities;
        this.verifier = new SigV4Verifier(clock, identities);
    }

    /** Who signed the request and for which region. */
    public record Signed(Identity identity, String region) {
    }

    /**
     * @param service the signing name the request must be scoped to ({@link #KINESIS}, ...)
     * @throws KinesisException AWS's error: missing or malformed authentication, an unknown key, a bad signature, a
     *                          timestamp too far off
     */
    public Signed authenticate(ReceivedRequest request, String service) {
        VerifiedScope scope = verifier.verify(request, service);
        Identity identity = identities.byAccessKeyId(scope.accessKeyId());
        if (identity == null) {
            // Removed by a reload between the two lookups.
            throw KinesisException.client("UnrecognizedClientException",
                    "The security token included in the request is invalid.");
        }
        return new Signed(identity, scope.region());
    }

    public ServerIdentities identities() {
        return identities;
    }
}
