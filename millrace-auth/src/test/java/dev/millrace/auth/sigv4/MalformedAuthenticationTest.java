package dev.millrace.auth.sigv4;

import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of malformed {@code Authorization} headers and presigned query strings, made by breaking well-signed ones
 * at random (truncation, parts dropped or repeated, huge values, bad %-escapes, non-ASCII and control characters,
 * empty values): each must end in AWS's 4xx error, never in another exception, and all of them quickly.
 */
class MalformedAuthenticationTest {
    private static final Instant T = SigV4VerifierTest.T;
    private static final String[] JUNK = {"", "=", "==", ",", ", ", ";", "/", "//", "%", "%zz", "%e2%82", "%00",
            "\u0000", "\r\n", "\t", "é", "\uD834\uDD1E", "\uD800", "AWS4-HMAC-SHA256", "Credential=", "Signature=",
            "SignedHeaders=", "X-Amz-Date=", "&", "?", "+", " ", "aws4_request", "20261206", "20261206T101530Z",
            "host", "x".repeat(5000), "/".repeat(300), "%2F".repeat(1000), "ü".repeat(2000)};

    private final SigV4Verifier verifier = new SigV4Verifier(new ManualClock(T.toEpochMilli()),
            key -> Clients.KEY.equals(key) ? Optional.of(Clients.SECRET) : Optional.empty());
    private final Random random = new Random(16);

    @Test
    @Timeout(120)
    void everyMalformedAuthenticationEndsInA4xxAwsError() {
        Clients.Unsigned put = Clients.kinesisJson("http://127.0.0.1:4567/", "{\"StreamName\":\"s\"}");
        ReceivedRequest header = Clients.botocore(put, "eu-west-1", "kinesis", T);
        ReceivedRequest javaHeader = Clients.javaSdk(put, "eu-west-1", "kinesis", T);
        ReceivedRequest presigned = Clients.javaSdkPresigned(new Clients.Unsigned("GET",
                "http://127.0.0.1:4567/?Action=ListStreams", Map.of("X-Amz-Target", "Kinesis_20131202.ListStreams"),
                new byte[0]), "eu-west-1", "kinesis", T, Duration.ofMinutes(5));
        Map<String, Integer> outcomes = new TreeMap<>();
        int cases = 0;
        for (int i = 0; i < 3000; i++) {
            ReceivedRequest base = i % 2 == 0 ? header : javaHeader;
            String authorization = mutate(base.firstHeader("Authorization"));
            cases += record(outcomes, SigV4VerifierTest.withHeaders(base, h -> SigV4VerifierTest.put(h,
                    "Authorization", authorization)));
            if (i % 10 == 0) {
                String date = mutate(base.firstHeader("X-Amz-Date"));
                cases += record(outcomes, SigV4VerifierTest.withHeaders(base, h -> SigV4VerifierTest.put(h,
                        "X-Amz-Date", date)));
            }
        }
        for (int i = 0; i < 3000; i++) {
            String query = mutate(presigned.rawQuery());
            cases += record(outcomes, SigV4VerifierTest.rebuilt(presigned, "/?" + query, presigned.body()));
        }
        System.out.println("malformed authentication, " + cases + " cases: " + outcomes);
        int refused = outcomes.entrySet().stream().filter(e -> !e.getKey().equals("verified"))
                .mapToInt(Map.Entry::getValue).sum();
        assertThat(cases).isGreaterThanOrEqualTo(6000);
        assertThat(refused).as("refused").isGreaterThanOrEqualTo(5000);
        assertThat(outcomes).containsKeys("IncompleteSignatureException", "InvalidSignatureException",
                "MissingAuthenticationTokenException", "UnrecognizedClientException");
    }

    /** Verifies one request; anything but success or a 4xx {@link KinesisException} fails the test. */
    private int record(Map<String, Integer> outcomes, ReceivedRequest request) {
        String outcome;
        try {
            verifier.verify(request, "kinesis");
            // only breakages that leave the signed content as it was: junk words between the header's parameters,
            // other separators, a signed header named twice, a truncation that cut nothing
            outcome = "verified";
        } catch (KinesisException e) {
            assertThat(e.httpStatus()).as(e.getMessage()).isBetween(400, 499);
            assertThat(e.errorType()).isNotBlank();
            outcome = e.errorType();
        }
        outcomes.merge(outcome, 1, Integer::sum);
        return 1;
    }

    /** One to four random breakages of {@code text}. */
    private String mutate(String text) {
        String result = text;
        int breakages = 1 + random.nextInt(4);
        for (int i = 0; i < breakages; i++) {
            result = breakOnce(result);
        }
        return result;
    }

    private String breakOnce(String text) {
        List<String> parts = new ArrayList<>(List.of(text.split("(?<=[, &;=/])")));
        int at = parts.isEmpty() ? 0 : random.nextInt(parts.size());
        switch (random.nextInt(9)) {
            case 0:
                return text.substring(0, random.nextInt(text.length() + 1));
            case 1:
                if (!parts.isEmpty()) {
                    parts.remove(at);
                }
                break;
            case 2:
                if (!parts.isEmpty()) {
                    parts.add(random.nextInt(parts.size() + 1), parts.get(at));
                }
                break;
            case 3:
                parts.add(at, JUNK[random.nextInt(JUNK.length)]);
                break;
            case 4:
                if (!parts.isEmpty()) {
                    parts.set(at, JUNK[random.nextInt(JUNK.length)]);
                }
                break;
            case 5:
                return text.isEmpty() ? text : flipCharacter(text);
            case 6:
                if (!parts.isEmpty()) {
                    String part = parts.get(at);
                    int equals = part.indexOf('=');
                    parts.set(at, equals < 0 ? "" : part.substring(0, equals + 1));
                }
                break;
            case 7:
                return text.replace(random.nextBoolean() ? "," : "&", random.nextBoolean() ? " " : "");
            default:
                return text.toLowerCase(java.util.Locale.ROOT);
        }
        return String.join("", parts);
    }

    private String flipCharacter(String text) {
        int at = random.nextInt(text.length());
        char replacement = (char) (random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0x3000));
        return text.substring(0, at) + replacement + text.substring(at + 1);
    }
}
