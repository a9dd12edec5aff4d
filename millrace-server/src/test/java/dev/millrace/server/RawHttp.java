package dev.millrace.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 by hand over a socket, for what no client library will send: repeated headers, broken chunk framing,
 * headers dripped a byte at a time. Not thread-safe; one per connection.
 */
final class RawHttp implements AutoCloseable {
    static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";

    /** A response's status line and headers (as sent, in one string) and body. */
    record Response(int status, String headers, String body) {
        String header(String name) {
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    final Socket socket;
    /** The stream {@link #readWithin} peeked into, holding the byte it peeked. */
    private InputStream pushedBack;

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
    }

    /** The head of a signed Kinesis JSON request, up to and including the blank line; {@code extra} ends in CRLF. */
    static String head(String target, String extra) {
        return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
                + (target == null ? "" : "X-Amz-Target: " + target + "\r\n")
                + "Authorization: " + AUTH + "\r\nX-Amz-Date: 20260101T000000Z\r\n" + extra + "\r\n";
    }

    void send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads one response with a Content-Length body. */
    Response read() throws IOException {
        InputStream in = pushedBack != null ? pushedBack : socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(text.substring(9, 12));
        Response noBody = new Response(status, text, "");
        String length = noBody.header("content-length");
        byte[] body = in.readNBytes(length == null ? 0 : Integer.parseInt(length));
        return new Response(status, text, new String(body, StandardCharsets.UTF_8));
    }

    /** A response if one starts arriving within {@code timeoutMs}, else {@code null} (nothing is consumed then). */
    Response readWithin(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        InputStream in = new java.io.BufferedInputStream(socket.getInputStream(), 1);
        try {
            in.mark(1);
            if (in.read() < 0) {
                throw new IOException("closed");
            }
            in.reset();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            socket.setSoTimeout(10_000);
        }
        pushedBack = in;
        return read();
    }

    /** Whether the server has closed the connection: a read sees its end (or a reset) within the socket timeout. */
    boolean closedByServer(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        try {
            InputStream in = socket.getInputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
