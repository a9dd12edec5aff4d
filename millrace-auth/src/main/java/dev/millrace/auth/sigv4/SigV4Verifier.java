package dev.millrace.auth.sigv4;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Verifies a request's AWS Signature Version 4, in the {@code Authorization} header or a presigned query string, by
 * signing it again with the AWS SDK's signer ({@link SdkResigner}) and comparing in constant time.
 *
 * <p>The checks run in the order AWS's front end runs them (as recorded from AWS by kinesalite and dynalite), each
 * answering AWS's error type and text; every error is a {@link KinesisException} with status 400:
 * <pre>
 *   1. shape: both or neither form, missing parameters  ({@link SigV4Shape}: Invalid/MissingAuthenticationToken/
 *      IncompleteSignatureException); over-long header or too many signed headers (IncompleteSignatureException)
 *   2. the timestamp: not yyyyMMdd'T'HHmmss'Z'           IncompleteSignatureException "Date must be in ISO-8601
 *                                                        'basic format'. Got '...'. See http://en.wikipedia.org/..."
 *      more than 5 minutes off, or presigned and past    InvalidSignatureException "Signature expired: ... is now
 *      X-Amz-Expires                                     earlier than ..." / "Signature not yet current: ..."
 *   3. Host not signed (nor HTTP/2's :authority)         InvalidSignatureException
 *   4. an algorithm other than AWS4-HMAC-SHA256          IncompleteSignatureException "Unsupported AWS 'algorithm'"
 *   5. a credential that is not 5 '/'-separated parts    IncompleteSignatureException "Credential must have exactly
 *                                                        5 slash-delimited elements, ..."
 *   6. the scope's region, service, terminator, date     InvalidSignatureException, all faults in one message
 *   7. an unknown access key                             UnrecognizedClientException "The security token included
 *                                                        in the request is invalid."
 *   8. the signature                                     InvalidSignatureException "The request signature we
 *                                                        calculated does not match the signature you provided. ..."
 *   9. a session token (temporary credentials)           UnrecognizedClientException (Millrace has none to check)
 * </pre>
 * Hostile input ends in one of these, never in another exception: every text is read in linear time, the
 * {@code Authorization} header is at most {@value #MAX_AUTHORIZATION_CHARS} characters, a signature names at most
 * {@value #MAX_SIGNED_HEADERS} headers, and {@code X-Amz-Expires} at most 7 days.
 *
 * <p>Thread-safe: it holds only the clock and the keys, both thread-safe.
 */
public final class SigV4Verifier {
    /** How far a request's timestamp may be from the server's clock, either way. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    static final int MAX_AUTHORIZATION_CHARS = 4096;
    static final int MAX_SIGNED_HEADERS = 64;
    static final long MAX_EXPIRES_SECONDS = Duration.ofDays(7).toSeconds();
    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final String MISMATCH = "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    static final String INVALID_TOKEN = "The security token included in the request is invalid.";
    static final String NO_TEMPORARY_CREDENTIALS = "The security token included in the request is invalid: "
            + "Millrace accepts long-term access keys only, not temporary credentials (X-Amz-Security-Token).";
    private static final String INCOMPLETE = "IncompleteSignatureException";
    private static final String INVALID = "InvalidSignatureException";
    private static final String UNRECOGNIZED = "UnrecognizedClientException";
    private static final Pattern EXPIRES = Pattern.compile("-?[0-9]{1,18}");
    private static final DateTimeFormatter BASIC = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'", Locale.ROOT)
            .withResolverStyle(ResolverStyle.STRICT);
    private static final DateTimeFormatter SCOPE_DATE = DateTimeFormatter.ofPattern("uuuuMMdd", Locale.ROOT);

    private final Clock clock;
    private final SigningKeys keys;

    public SigV4Verifier(Clock clock, SigningKeys keys) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /**
     * Verifies {@code request}'s signature.
     *
     * @param expectedService the service signing name the request must be scoped to ({@code kinesis},
     *                        {@code dynamodb}, {@code monitoring}, {@code sts}), or {@code null} to accept any
     * @return who signed it, for which scope
     * @throws KinesisException AWS's error for the first check that fails (see the class comment)
     */
    public VerifiedScope verify(ReceivedRequest request, String expectedService) {
        String authorization = request.firstHeader("Authorization");
        if (authorization != null && authorization.length() > MAX_AUTHORIZATION_CHARS) {
            throw KinesisException.client(INCOMPLETE, "The Authorization header is " + authorization.length()
                    + " characters long; at most " + MAX_AUTHORIZATION_CHARS + " are accepted.");
        }
        QueryParameters query = QueryParameters.parse(request.rawQuery());
        KinesisException shape = SigV4Shape.problem(authorization, query,
                present(request.firstHeader("X-Amz-Date")) || present(request.firstHeader("Date")));
        if (shape != null) {
            throw shape;
        }
        AuthParameters auth = query.contains(SigV4Shape.QUERY_ALGORITHM) ? AuthParameters.fromQuery(query, request)
                : AuthParameters.fromHeader(authorization, request);
        List<String> signedHeaders = signedHeaderNames(auth.signedHeaders());
        Instant time = requestTime(auth);
        Duration expires = auth.presigned() ? expires(auth.expires()) : null;
        checkTime(time, expires);
        if (!signedHeaders.contains("host") && !signedHeaders.contains(SdkResigner.AUTHORITY)) {
            throw KinesisException.client(INVALID, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
        }
        if (!ALGORITHM.equals(auth.algorithm())) {
            throw KinesisException.client(INCOMPLETE, "Unsupported AWS 'algorithm': '" + auth.algorithm()
                    + "' (only " + ALGORITHM + " for now). ");
        }
        String[] scope = credentialParts(auth.credential());
        checkScope(scope, time, expectedService);
        String secret = keys.secretKeyOf(scope[0])
                .orElseThrow(() -> KinesisException.client(UNRECOGNIZED, INVALID_TOKEN));
        SdkResigner.Signing signing = new SdkResigner.Signing(scope[0], secret, scope[2], scope[3], time);
        checkSignature(request, query, auth, signedHeaders, expires, signing);
        if (auth.securityToken() != null) {
            throw KinesisException.client(UNRECOGNIZED, NO_TEMPORARY_CREDENTIALS);
        }
        return new VerifiedScope(scope[0], scope[2], scope[3], LocalDate.ofInstant(time, ZoneOffset.UTC));
    }

    private static boolean present(String header) {
        return header != null && !header.isEmpty();
    }

    /** The lower-cased names of {@code SignedHeaders}, in the order listed (the signer sorts them itself). */
    private static List<String> signedHeaderNames(String signedHeaders) {
        List<String> names = new ArrayList<>();
        int start = 0;
        while (start <= signedHeaders.length()) {
            int end = signedHeaders.indexOf(';', start);
            if (end < 0) {
                end = signedHeaders.length();
            }
            if (names.size() == MAX_SIGNED_HEADERS) {
                throw KinesisException.client(INCOMPLETE, "A signature may name at most " + MAX_SIGNED_HEADERS
                        + " signed headers.");
            }
            names.add(signedHeaders.substring(start, end).toLowerCase(Locale.ROOT));
            start = end + 1;
        }
        return names;
    }

    /** The request's timestamp: {@code X-Amz-Date} in ISO 8601 basic format, or an RFC 1123 {@code Date} header. */
    private static Instant requestTime(AuthParameters auth) {
        String date = auth.date();
        try {
            if (isBasicDateTime(date)) {
                return LocalDateTime.of(digits(date, 0, 4), digits(date, 4, 6), digits(date, 6, 8),
                        digits(date, 9, 11), digits(date, 11, 13), digits(date, 13, 15)).toInstant(ZoneOffset.UTC);
            }
            if (auth.dateIsHttpDate() && date.length() <= 64) {
                return ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            }
        } catch (DateTimeException e) {
            // not a date: answered below, as AWS answers it
        }
        throw KinesisException.client(INCOMPLETE, "Date must be in ISO-8601 'basic format'. Got '" + date
                + "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }

    /** Whether {@code date} is {@code yyyyMMdd'T'HHmmss'Z'} in shape (its fields are checked when read). */
    private static boolean isBasicDateTime(String date) {
        if (date.length() != 16 || date.charAt(8) != 'T' || date.charAt(15) != 'Z') {
            return false;
        }
        for (int i = 0; i < 15; i++) {
            if (i != 8 && (date.charAt(i) < '0' || date.charAt(i) > '9')) {
                return false;
            }
        }
        return true;
    }

    private static int digits(String text, int from, int to) {
        return Integer.parseInt(text, from, to, 10);
    }

    /** {@code X-Amz-Expires}, when a presigned request has one; it must be a whole number of seconds up to 7 days. */
    private static Duration expires(String expires) {
        if (expires == null) {
            return null;
        }
        if (!EXPIRES.matcher(expires).matches()) {
            throw KinesisException.client(INCOMPLETE, "X-Amz-Expires should be a number");
        }
        long seconds = Long.parseLong(expires);
        if (seconds < 1 || seconds > MAX_EXPIRES_SECONDS) {
            throw KinesisException.client(INCOMPLETE, "X-Amz-Expires must be between 1 and " + MAX_EXPIRES_SECONDS
                    + " seconds, not " + expires + ".");
        }
        return Duration.ofSeconds(seconds);
    }

    /**
     * A request is current from {@link #MAX_CLOCK_SKEW} before its timestamp until {@link #MAX_CLOCK_SKEW} after, or,
     * when presigned with {@code X-Amz-Expires}, until that long after. AWS names both bounds in its texts.
     */
    private void checkTime(Instant time, Duration expires) {
        Instant now = clock.instant();
        Duration validFor = expires == null ? MAX_CLOCK_SKEW : expires;
        if (time.isBefore(now.minus(validFor))) {
            String window = expires == null ? MAX_CLOCK_SKEW.toMinutes() + " min." : expires.toSeconds() + " sec.";
            throw KinesisException.client(INVALID, "Signature expired: " + BASIC.format(at(time))
                    + " is now earlier than " + BASIC.format(at(now.minus(validFor))) + " (" + BASIC.format(at(now))
                    + " - " + window + ")");
        }
        if (time.isAfter(now.plus(MAX_CLOCK_SKEW))) {
            throw KinesisException.client(INVALID, "Signature not yet current: " + BASIC.format(at(time))
                    + " is still later than " + BASIC.format(at(now.plus(MAX_CLOCK_SKEW))) + " ("
                    + BASIC.format(at(now)) + " + " + MAX_CLOCK_SKEW.toMinutes() + " min.)");
        }
    }

    private static LocalDateTime at(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    /** {@code AKID/date/region/service/aws4_request} split in five; trailing slashes do not count, as for AWS. */
    private static String[] credentialParts(String credential) {
        int end = credential.length();
        while (end > 0 && credential.charAt(end - 1) == '/') {
            end--;
        }
        String[] parts = credential.substring(0, end).split("/", 6);
        if (parts.length != 5) {
            throw KinesisException.client(INCOMPLETE, "Credential must have exactly 5 slash-delimited elements, "
                    + "e.g. keyid/date/region/service/term, got '" + credential + "'");
        }
        return parts;
    }

    private static void checkScope(String[] scope, Instant time, String expectedService) {
        StringBuilder faults = new StringBuilder();
        if (!Account.isRegion(scope[2])) {
            faults.append("Credential should be scoped to a valid region, not '").append(scope[2]).append("'. ");
        }
        if (expectedService != null ? !expectedService.equals(scope[3]) : scope[3].isEmpty()) {
            faults.append("Credential should be scoped to correct service: '")
                    .append(expectedService == null ? "" : expectedService).append("'. ");
        }
        if (!"aws4_request".equals(scope[4])) {
            faults.append("Credential should be scoped with a valid terminator: 'aws4_request', not '")
                    .append(scope[4]).append("'. ");
        }
        String day = scopeDate(time);
        if (!day.equals(scope[1])) {
            faults.append("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '")
                    .append(scope[1]).append("' != '").append(day).append("', from '").append(BASIC.format(at(time)))
                    .append("'. ");
        }
        if (!faults.isEmpty()) {
            throw KinesisException.client(INVALID, faults.substring(0, faults.length() - 1));
        }
    }

    /** {@code yyyyMMdd} of {@code time} in UTC, without a formatter: this runs on every request. */
    private static String scopeDate(Instant time) {
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        int yyyyMMdd = day.getYear() * 10_000 + day.getMonthValue() * 100 + day.getDayOfMonth();
        return day.getYear() >= 1000 && day.getYear() <= 9999 ? Integer.toString(yyyyMMdd) : SCOPE_DATE.format(day);
    }

    private static void checkSignature(ReceivedRequest request, QueryParameters query, AuthParameters auth,
                                       List<String> signedHeaders, Duration expires, SdkResigner.Signing signing) {
        for (String name : signedHeaders) {
            if (SdkResigner.UNSIGNABLE.contains(name)) {
                throw KinesisException.client(INVALID, MISMATCH + " Millrace cannot check a signature over the '"
                        + name + "' header, which the AWS SDK's signer never signs; sign the request without it.");
            }
        }
        boolean matches;
        if (auth.presigned()) {
            matches = SdkResigner.sameSignature(SdkResigner.presignedSignature(request, query, signedHeaders, expires,
                    false, signing), auth.signature())
                    || SdkResigner.sameSignature(SdkResigner.presignedSignature(request, query, signedHeaders,
                    expires, true, signing), auth.signature());
        } else {
            matches = SdkResigner.sameSignature(SdkResigner.headerSignature(request, query, signedHeaders, signing),
                    auth.signature());
        }
        if (!matches) {
            throw KinesisException.client(INVALID, MISMATCH);
        }
    }
}
