package dev.millrace.server.http;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;

/**
 * The TLS port's certificate: the configured PEM certificate chain and key, or else a self-signed one for
 * {@code localhost} made on first start and kept in {@code <data-dir>/tls/}, so clients that pin it keep working
 * across restarts. The context offers ALPN {@code h2} and {@code http/1.1} and accepts clients that offer neither.
 *
 * <p>Stateless, thread-safe.
 */
public final class TlsCertificates {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificates.class);
    static final String CERT_FILE = "server.crt";
    static final String KEY_FILE = "server.key";

    private TlsCertificates() {
    }

    /** The server context; {@code certPath}/{@code keyPath} may be {@code null} to use (or make) the self-signed one. */
    public static SslContext serverContext(Path certPath, Path keyPath, Path dataDir) throws IOException {
        Path cert = certPath;
        Path key = keyPath;
        if (cert == null || key == null) {
            Path dir = dataDir.resolve("tls");
            cert = dir.resolve(CERT_FILE);
            key = dir.resolve(KEY_FILE);
            if (!Files.exists(cert) || !Files.exists(key)) {
                generate(dir, cert, key);
            }
        }
        return SslContextBuilder.forServer(cert.toFile(), key.toFile())
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    private static void generate(Path dir, Path cert, Path key) throws IOException {
        Files.createDirectories(dir);
        SelfSignedCertificate generated;
        try {
            generated = new SelfSignedCertificate("localhost");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate a self-signed certificate: " + e, e);
        }
        try {
            // Key first, certificate last: a certificate file on disk means both are complete.
            Files.copy(generated.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(generated.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            generated.delete();
        }
        log.info("Generated a self-signed TLS certificate for localhost in {}", dir);
    }
}
