package dev.millrace.server;

import java.nio.file.Path;

/**
 * The optional TLS port.
 *
 * <p>Immutable, thread-safe.
 *
 * @param port     the port, 0 for any free one, or -1 for no TLS port
 * @param certPath PEM certificate chain, or {@code null} for a self-signed certificate made on first start
 * @param keyPath  PEM private key (PKCS#8), or {@code null}
 */
public record TlsConfig(int port, Path certPath, Path keyPath) {
    public static final TlsConfig NONE = new TlsConfig(-1, null, null);

    public boolean enabled() {
        return port >= 0;
    }
}
