package dev.millrace.auth.sigv4;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one verification costs, measured and printed (surefire's output file), not asserted: a timing assertion would
 * fail on a busy machine for no fault of the code. Warm-up first, then the mean over many verifications of the same
 * request (the SDK caches the derived signing key per secret, region, service and day, as a server's steady state).
 */
class VerificationCostTest {
    private static final Instant T = SigV4VerifierTest.T;

    @Test
    void measureVerification() {
        SigV4Verifier verifier = new SigV4Verifier(new ManualClock(T.toEpochMilli()),
                key -> Optional.of(Clients.SECRET));
        String small = "{\"StreamName\":\"s\",\"Data\":\"" + "A".repeat(100) + "\",\"PartitionKey\":\"k\"}";
        String large = "{\"StreamName\":\"s\",\"Records\":[" + ("{\"Data\":\"" + "A".repeat(1300)
                + "\",\"PartitionKey\":\"k\"},").repeat(400) + "{\"Data\":\"\",\"PartitionKey\":\"k\"}]}";
        // The benchmark's PutRecords of 500 records of 100 B (docs/BENCHMARKS.md, "Security"): about 80 KiB of JSON.
        String benchmark = "{\"StreamName\":\"s\",\"Records\":[" + ("{\"Data\":\"" + "A".repeat(136)
                + "\",\"PartitionKey\":\"pk-0000000123\"},").repeat(499) + "{\"Data\":\"\",\"PartitionKey\":\"k\"}]}";
        Map<String, ReceivedRequest> requests = new LinkedHashMap<>();
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("150 B", small);
        bodies.put("500 x 100 B, " + benchmark.length() / 1024 + " KiB", benchmark);
        bodies.put("520 KiB", large);
        for (Map.Entry<String, String> body : bodies.entrySet()) {
            Clients.Unsigned put = Clients.kinesisJson("http://127.0.0.1:4567/", body.getValue());
            requests.put("Java SDK header form (signs x-amz-content-sha256), " + body.getKey(),
                    Clients.javaSdk(put, "eu-west-1", "kinesis", T));
            requests.put("botocore header form, " + body.getKey(),
                    Clients.botocore(put, "eu-west-1", "kinesis", T));
        }
        requests.put("presigned GET, UNSIGNED-PAYLOAD (two signings)", Clients.javaSdkPresigned(new Clients.Unsigned(
                "GET", "http://127.0.0.1:4567/?Action=ListStreams", Map.of(), new byte[0]), "eu-west-1", "kinesis", T,
                Duration.ofMinutes(5)));
        StringBuilder report = new StringBuilder("SigV4 verification cost (mean of warm runs):\n");
        requests.forEach((name, request) -> {
            int runs = request.body().length > 100_000 ? 300 : 5_000;
            for (int i = 0; i < runs; i++) {
                verifier.verify(request, "kinesis");
            }
            long start = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                assertThat(verifier.verify(request, "kinesis").accessKeyId()).isEqualTo(Clients.KEY);
            }
            long micros = (System.nanoTime() - start) / runs / 1000;
            report.append(String.format("  %-60s %6d us%n", name, micros));
        });
        long start = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            SdkResigner.sha256Hex(large.getBytes(StandardCharsets.UTF_8));
        }
        report.append(String.format("  %-60s %6d us%n", "of which SHA-256 of the 520 KiB body alone",
                (System.nanoTime() - start) / 300 / 1000));
        System.out.print(report);
    }
}
