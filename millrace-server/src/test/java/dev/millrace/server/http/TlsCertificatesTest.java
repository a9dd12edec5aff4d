package dev.millrace.server.http;

import dev.millrace.server.MillraceServer;
import dev.millrace.server.ServerConfig;
import dev.millrace.server.TestServers;
import dev.millrace.server.TlsConfig;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The TLS port's self-signed certificate: the names it carries (read back from the file), when it is kept and when
 * replaced, and that a client which verifies host names, trusting only that certificate, accepts the server at
 * {@code https://127.0.0.1} and {@code https://localhost} (and rejects the older, CN-only certificate there).
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class TlsCertificatesTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @TempDir
    Path dir;

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    private Path cert() {
        return dir.resolve("tls").resolve(TlsCertificates.CERT_FILE);
    }

    private Path key() {
        return dir.resolve("tls").resolve(TlsCertificates.KEY_FILE);
    }

    @Test
    void selfSignedCertificateNamesLocalhostAnd127001AndIpv6Loopback() throws Exception {
        TlsCertificates.serverContext(null, null, dir, at(NOW));

        X509Certificate certificate = TlsCertificates.read(cert());
        // The raw entries: localhost as a DNS name (type 2), the addresses as IP addresses (type 7), not DNS names.
        assertThat(certificate.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(2, "localhost"), List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"));
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(certificate.getNotBefore().toInstant()).isBefore(NOW);
        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(NOW.plus(TlsCertificates.VALIDITY));
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        certificate.verify(certificate.getPublicKey());
        assertThat(Files.readString(key())).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key()))).isEqualTo("rw-------");
        assertThat(TlsCertificates.staleReason(cert(), NOW)).isNull();
    }

    @Test
    void theTlsDirectoryAndItsFilesArePrivateAlsoWhenAnOlderVersionLeftThemOpen() throws Exception {
        TlsCertificates.serverContext(null, null, dir, at(NOW));
        assertThat(mode(dir.resolve("tls"))).isEqualTo("rwx------");
        assertThat(mode(cert())).isEqualTo("rw-------");
        assertThat(mode(key())).isEqualTo("rw-------");

        Files.setPosixFilePermissions(dir.resolve("tls"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(cert(), PosixFilePermissions.fromString("rw-r--r--"));
        TlsCertificates.serverContext(null, null, dir, at(NOW.plus(Duration.ofDays(1))));
        assertThat(mode(dir.resolve("tls"))).isEqualTo("rwx------");
        assertThat(mode(cert())).isEqualTo("rw-------");
    }

    private static String mode(Path path) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void certificateIsKeptAcrossRestarts() throws Exception {
        TlsCertificates.serverContext(null, null, dir, at(NOW));
        byte[] first = Files.readAllBytes(cert());
        byte[] firstKey = Files.readAllBytes(key());

        TlsCertificates.serverContext(null, null, dir, at(NOW.plus(Duration.ofDays(100))));

        assertThat(Files.readAllBytes(cert())).isEqualTo(first);
        assertThat(Files.readAllBytes(key())).isEqualTo(firstKey);
    }

    @Test
    void certificateOfAnOlderVersionNamingOnlyLocalhostIsReplaced() throws Exception {
        installOldCertificate();
        byte[] old = Files.readAllBytes(cert());
        assertThat(TlsCertificates.read(cert()).getSubjectAlternativeNames()).isNull();
        assertThat(TlsCertificates.staleReason(cert(), NOW))
                .isEqualTo("its subjectAltName lacks localhost, 127.0.0.1, ::1");

        TlsCertificates.serverContext(null, null, dir, at(NOW));

        assertThat(Files.readAllBytes(cert())).isNotEqualTo(old);
        assertThat(TlsCertificates.subjectAltNames(TlsCertificates.read(cert())))
                .containsExactlyInAnyOrder("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");
    }

    @Test
    void certificateThatExpiresSoonOrCannotBeReadIsReplaced() throws Exception {
        TlsCertificates.serverContext(null, null, dir, at(NOW));
        byte[] first = Files.readAllBytes(cert());
        Instant renewal = NOW.plus(TlsCertificates.VALIDITY).minus(TlsCertificates.RENEW_BEFORE);
        assertThat(TlsCertificates.staleReason(cert(), renewal.minusSeconds(1))).isNull();
        assertThat(TlsCertificates.staleReason(cert(), renewal.plusSeconds(1))).startsWith("it expires on");

        TlsCertificates.serverContext(null, null, dir, at(renewal.plusSeconds(1)));
        assertThat(Files.readAllBytes(cert())).isNotEqualTo(first);
        assertThat(TlsCertificates.read(cert()).getNotAfter().toInstant())
                .isEqualTo(renewal.plusSeconds(1).plus(TlsCertificates.VALIDITY));

        Files.writeString(cert(), "not a certificate");
        assertThat(TlsCertificates.staleReason(cert(), NOW)).startsWith("unreadable");
        TlsCertificates.serverContext(null, null, dir, at(NOW));
        assertThat(TlsCertificates.staleReason(cert(), NOW)).isNull();
    }

    @Test
    void configuredCertificateIsUsedAsItIsAndAMissingOneIsNamed() throws Exception {
        SelfSignedCertificate own = new SelfSignedCertificate("localhost");
        try {
            TlsCertificates.serverContext(own.certificate().toPath(), own.privateKey().toPath(), dir, at(NOW));
            assertThat(dir.resolve("tls")).doesNotExist();

            Path missing = dir.resolve("missing.crt");
            assertThatThrownBy(() -> TlsCertificates.serverContext(missing, own.privateKey().toPath(), dir, at(NOW)))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining(missing.toString());
        } finally {
            own.delete();
        }
    }

    @Test
    void clientThatVerifiesHostNamesAcceptsTheServerAt127001AndLocalhost() throws Exception {
        MillraceServer server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir)
                .withTls(new TlsConfig(0, null, null)));
        try {
            server.start();
            int port = server.tlsAddress().getPort();
            HttpClient client = clientTrusting(cert());

            assertThat(get(client, "https://127.0.0.1:" + port + "/health")).isEqualTo(200);
            assertThat(get(client, "https://localhost:" + port + "/health")).isEqualTo(200);
        } finally {
            server.close();
        }
    }

    @Test
    void sameClientRejectsTheOlderCertificateAt127001() throws Exception {
        // The control for the test above: the client really checks names, so a CN-only certificate fails there.
        installOldCertificate();
        Path old = dir.resolve("old.crt");
        Files.copy(cert(), old);
        MillraceServer server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir.resolve("data"))
                .withTls(new TlsConfig(0, old, key())));
        try {
            server.start();
            int port = server.tlsAddress().getPort();
            assertThatThrownBy(() -> get(clientTrusting(old), "https://127.0.0.1:" + port + "/health"))
                    .isInstanceOf(SSLHandshakeException.class).rootCause()
                    .isInstanceOf(java.security.cert.CertificateException.class)
                    .hasMessage("No subject alternative names present");
        } finally {
            server.close();
        }
    }

    /** What versions before the subjectAltName entries made: Netty's self-signed certificate for localhost. */
    private void installOldCertificate() throws Exception {
        SelfSignedCertificate old = new SelfSignedCertificate("localhost");
        try {
            Files.createDirectories(cert().getParent());
            Files.copy(old.privateKey().toPath(), key(), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(old.certificate().toPath(), cert(), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            old.delete();
        }
    }

    /** The JDK's HTTP client, trusting only {@code cert}; it verifies the host name against the certificate. */
    private static HttpClient clientTrusting(Path cert) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("millrace", TlsCertificates.read(cert));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static int get(HttpClient client, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
