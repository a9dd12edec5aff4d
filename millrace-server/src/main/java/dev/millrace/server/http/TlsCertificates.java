package dev.millrace.server.http;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import dev.millrace.storage.log.FileModes;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TLS port's certificate: the configured PEM certificate chain and key, or else a self-signed one made on first
 * start and kept in {@code <data-dir>/tls/} ({@value #CERT_FILE}, {@value #KEY_FILE}), so clients that trust it keep
 * working across restarts. The self-signed certificate names {@code localhost}, {@code 127.0.0.1} and {@code ::1} in
 * its subjectAltName, because clients that verify the host name (curl, OpenSSL-based ones such as the KPL, the JDK's)
 * look there and nowhere else; one that lacks any of them (as made by versions before it named the IP addresses), that
 * cannot be read, or that expires within {@link #RENEW_BEFORE} is replaced on start. The context offers ALPN
 * {@code h2} and {@code http/1.1} and accepts clients that offer neither.
 *
 * <p>Stateless, thread-safe.
 */
public final class TlsCertificates {
    private static final Logger log = LoggerFactory.getLogger(TlsCertificates.class);
    static final String CERT_FILE = "server.crt";
    static final String KEY_FILE = "server.key";
    /** What the self-signed certificate is for: the names a local client dials the server by. */
    static final List<String> DNS_NAMES = List.of("localhost");
    static final List<String> IP_ADDRESSES = List.of("127.0.0.1", "::1");
    /** The longest validity Apple's clients accept for a TLS server certificate. */
    static final Duration VALIDITY = Duration.ofDays(825);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    /** Backdated, so that a client whose clock is a little behind does not see a certificate from the future. */
    private static final Duration BACKDATE = Duration.ofDays(1);
    private static final int RSA_KEY_BITS = 2048;
    /** subjectAltName entry types (RFC 5280 GeneralName), as {@link X509Certificate#getSubjectAlternativeNames}. */
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private TlsCertificates() {
    }

    /** The server context; {@code certPath}/{@code keyPath} may be {@code null} to use (or make) the self-signed one. */
    public static SslContext serverContext(Path certPath, Path keyPath, Path dataDir) throws IOException {
        return serverContext(certPath, keyPath, dataDir, Clock.systemUTC());
    }

    static SslContext serverContext(Path certPath, Path keyPath, Path dataDir, Clock clock) throws IOException {
        Path cert = certPath;
        Path key = keyPath;
        if (cert == null || key == null) {
            Path dir = dataDir.resolve("tls");
            cert = dir.resolve(CERT_FILE);
            key = dir.resolve(KEY_FILE);
            ensureSelfSigned(dir, cert, key, clock.instant());
        }
        try {
            return SslContextBuilder.forServer(cert.toFile(), key.toFile())
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (IllegalArgumentException e) {
            // Netty's word for an unreadable or non-PEM file; its cause, when there is one, says what was wrong.
            Throwable why = e.getCause() == null ? e : e.getCause();
            throw new IOException("cannot use certificate chain " + cert + " with private key " + key + ": "
                    + why.getMessage(), e);
        }
    }

    /** Makes the self-signed pair unless both files are there and the certificate still fits. */
    private static void ensureSelfSigned(Path dir, Path cert, Path key, Instant now) throws IOException {
        // Private like the rest of the data dir (FileModes): 0700, and its files 0600, also when an older version
        // left them to the umask.
        FileModes.createPrivateDirectories(dir);
        FileModes.privateTree(dir);
        if (!Files.exists(cert) || !Files.exists(key)) {
            generate(dir, cert, key, now);
            log.info("Generated a self-signed TLS certificate for {} in {}", names(), dir);
            return;
        }
        String stale = staleReason(cert, now);
        if (stale != null) {
            generate(dir, cert, key, now);
            log.info("Replaced the self-signed TLS certificate in {} ({}) with one for {}; clients that trusted the "
                    + "old one must trust {} instead", dir, stale, names(), cert);
        }
    }

    private static String names() {
        List<String> all = new ArrayList<>(DNS_NAMES);
        all.addAll(IP_ADDRESSES);
        return String.join(", ", all);
    }

    /** Why the self-signed certificate at {@code cert} must be replaced, or {@code null} if it can stay. */
    static String staleReason(Path cert, Instant now) {
        X509Certificate certificate;
        try {
            certificate = read(cert);
        } catch (IOException | GeneralSecurityException e) {
            return "unreadable: " + e.getMessage();
        }
        if (certificate.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
            return "it expires on " + certificate.getNotAfter().toInstant();
        }
        Set<String> present;
        try {
            present = subjectAltNames(certificate);
        } catch (GeneralSecurityException e) {
            return "its subjectAltName is unreadable: " + e.getMessage();
        }
        List<String> missing = new ArrayList<>();
        DNS_NAMES.stream().filter(name -> !present.contains(name)).forEach(missing::add);
        IP_ADDRESSES.stream().filter(ip -> !present.contains(canonicalIp(ip))).forEach(missing::add);
        return missing.isEmpty() ? null : "its subjectAltName lacks " + String.join(", ", missing);
    }

    /** The certificate's DNS names as written and its IP addresses in {@link #canonicalIp} form. */
    static Set<String> subjectAltNames(X509Certificate certificate) throws GeneralSecurityException {
        Set<String> names = new HashSet<>();
        Collection<List<?>> entries = certificate.getSubjectAlternativeNames();
        if (entries == null) {
            return names;
        }
        for (List<?> entry : entries) {
            int type = (Integer) entry.get(0);
            if (type == SAN_DNS) {
                names.add((String) entry.get(1));
            } else if (type == SAN_IP) {
                names.add(canonicalIp((String) entry.get(1)));
            }
        }
        return names;
    }

    /** One spelling per address: the JDK writes {@code ::1} as {@code 0:0:0:0:0:0:0:1}. */
    static String canonicalIp(String literal) {
        try {
            // A literal is parsed, never looked up.
            return InetAddress.getByName(literal).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + literal, e);
        }
    }

    static X509Certificate read(Path cert) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(cert)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static void generate(Path dir, Path cert, Path key, Instant now) throws IOException {
        KeyPair pair;
        X509Certificate certificate;
        try {
            SecureRandom random = new SecureRandom();
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(RSA_KEY_BITS, random);
            pair = generator.generateKeyPair();
            certificate = selfSign(pair, now, new BigInteger(64, random));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot generate a self-signed certificate: " + e, e);
        }
        // Key first, certificate last, each by rename: a certificate file on disk means both are complete.
        write(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        try {
            write(cert, pem("CERTIFICATE", certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encode the self-signed certificate: " + e, e);
        }
    }

    private static X509Certificate selfSign(KeyPair pair, Instant now, BigInteger serial)
            throws GeneralSecurityException, OperatorCreationException, CertIOException {
        X500Name subject = new X500Name("CN=" + DNS_NAMES.get(0));
        List<GeneralName> altNames = new ArrayList<>();
        DNS_NAMES.forEach(name -> altNames.add(new GeneralName(GeneralName.dNSName, name)));
        IP_ADDRESSES.forEach(ip -> altNames.add(new GeneralName(GeneralName.iPAddress, ip)));
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(altNames.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    }

    private static byte[] pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code bytes} to a temporary file beside {@code target} and renames it over; only for the owner. */
    private static void write(Path target, byte[] bytes) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, FileModes.privateFileAttributes(temp));
        Files.write(temp, bytes, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
