package dev.millrace.server.http;

import dev.millrace.server.api.KinesisApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The web console's files at {@code /console/}: the page and its bundled scripts and styles, which millrace-console
 * builds into its jar under {@code millrace-console/} (npm ci and Vite, from its pom). The console is a client of
 * the public APIs like any other, so its files are served to anyone, also with {@code --auth sigv4}: the page asks
 * for keys and signs its own calls.
 *
 * <p>{@code /console} is redirected to {@code /console/}, so that the page's relative asset paths resolve below it;
 * {@code /console/} is {@code index.html}. Only plain names ({@link #SAFE_NAME}: no {@code ..}, no escapes, no
 * backslash) are looked up, and only under {@code millrace-console/}, so no request reaches another resource of the
 * class path. The bundler gives every asset a content hash in its name, so assets are cached for a year and the page
 * itself is revalidated on each load. A server built without the console (the server module's own tests) answers
 * 404 with the reason.
 *
 * <p>Every file of the bundle is read into memory when the server starts ({@link #ConsoleFiles(ClassLoader)}, on
 * the starting thread), so a request is answered from memory and never reads the class path on an event loop. The
 * bundle is found next to its {@code index.html}, in a directory (tests, an IDE) or a jar (the server's), and is
 * our own build, a few megabytes; still, at most {@link #MAX_FILES} files and {@link #MAX_TOTAL_BYTES} bytes are kept,
 * and files beyond that are left out with a warning (then answered 404). Only the kinds of file the console is made of
 * ({@link #TYPES}) with plain names are kept.
 * Text files (the scripts, styles and page) are also kept gzipped, compressed once at start, and sent so to a client
 * that accepts gzip ({@code Accept-Encoding}): the console's first screen is about 400 kB of scripts, a third of
 * that gzipped.
 *
 * <p>Thread-safe: immutable once built.
 */
final class ConsoleFiles {
    private static final Logger log = LoggerFactory.getLogger(ConsoleFiles.class);
    static final String PATH = "/console";
    /** Where millrace-console puts its build output on the class path. */
    static final String RESOURCE_ROOT = "millrace-console/";
    private static final Pattern SAFE_NAME =
            Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*");
    private static final String ASSETS = "assets/";
    private static final String INDEX = "index.html";
    static final int MAX_FILES = 2_000;
    static final long MAX_TOTAL_BYTES = 32L * 1024 * 1024;
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("txt", "text/plain; charset=utf-8"));
    /** The kinds of file that gzip makes smaller (images and fonts are compressed already). */
    private static final Set<String> COMPRESSIBLE = Set.of("html", "js", "mjs", "css", "json", "map", "svg", "txt");
    /**
     * The page talks to any Kinesis endpoint the user names (connect-src), but runs only its own scripts and styles,
     * evaluates no strings and cannot be framed.
     */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' http: https:; "
            + "frame-ancestors 'none'; base-uri 'self'; form-action 'none'";

    /** An answer: status, body, content type and the headers it adds. */
    record Answer(int status, byte[] body, String contentType, Map<String, String> headers) {
        KinesisApi.Result result() {
            return new KinesisApi.Result(status, body, null);
        }
    }

    /** A file as read, and gzipped ({@code null} when that would not make it smaller). */
    private record File(byte[] bytes, byte[] gzipped, String contentType) {
    }

    /** The bundle's files by name below {@link #RESOURCE_ROOT}; empty in a build without the console. */
    private final Map<String, File> files;

    /** Reads the console's bundle from {@code loader}'s class path, now. */
    ConsoleFiles(ClassLoader loader) {
        this(loader, MAX_FILES, MAX_TOTAL_BYTES);
    }

    ConsoleFiles(ClassLoader loader, int maxFiles, long maxTotalBytes) {
        this.files = Map.copyOf(new BundleReader(maxFiles, maxTotalBytes).read(loader));
    }

    /** Whether a GET of {@code uri} is the console's. */
    static boolean isConsole(String uri) {
        String path = pathOf(uri);
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    /**
     * The answer to a GET of {@code uri}, one for which {@link #isConsole} holds, from a client that sent
     * {@code acceptEncoding} ({@code null}: none).
     */
    Answer answer(String uri, String acceptEncoding) {
        String path = pathOf(uri);
        if (path.equals(PATH)) {
            String query = uri.length() > path.length() ? uri.substring(path.length()) : "";
            return new Answer(301, new byte[0], null, Map.of("Location", PATH + "/" + query));
        }
        String name = path.substring(PATH.length() + 1);
        if (name.isEmpty()) {
            name = INDEX;
        }
        File file = SAFE_NAME.matcher(name).matches() ? find(name) : null;
        if (file == null) {
            String why = find(INDEX) == null
                    ? "The web console is not in this build of Millrace (millrace-console was not packaged)."
                    : "No such file in the web console: " + name;
            return new Answer(404, why.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8",
                    Map.of("X-Content-Type-Options", "nosniff"));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Cache-Control", name.startsWith(ASSETS) ? "public, max-age=31536000, immutable" : "no-cache");
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.put("Referrer-Policy", "no-referrer");
        if (file.gzipped() == null) {
            return new Answer(200, file.bytes(), file.contentType(), headers);
        }
        // Caches (the browser's, a proxy's) keep the two encodings apart.
        headers.put("Vary", "Accept-Encoding");
        if (!acceptsGzip(acceptEncoding)) {
            return new Answer(200, file.bytes(), file.contentType(), headers);
        }
        headers.put("Content-Encoding", "gzip");
        return new Answer(200, file.gzipped(), file.contentType(), headers);
    }

    /**
     * Whether an {@code Accept-Encoding} value (RFC 9110 section 12.5.3: codings, each with an optional weight) allows
     * gzip: named with a weight above 0, or not named while {@code *} is.
     */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        Boolean star = null;
        for (String item : acceptEncoding.split(",")) {
            String[] parts = item.split(";");
            String coding = parts[0].trim().toLowerCase(Locale.ROOT);
            boolean allowed = weightOf(parts) > 0;
            if (coding.equals("gzip") || coding.equals("x-gzip")) {
                return allowed;
            }
            if (coding.equals("*")) {
                star = allowed;
            }
        }
        return Boolean.TRUE.equals(star);
    }

    /** The weight of one Accept-Encoding item split at ';': its q parameter, 1 without one, 0 if it is not a number. */
    private static double weightOf(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].trim();
            if (parameter.length() > 2 && parameter.substring(0, 2).equalsIgnoreCase("q=")) {
                try {
                    return Double.parseDouble(parameter.substring(2).trim());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }

    private File find(String name) {
        return files.get(name);
    }

    /** The content type of a file the console may be made of, or null for another kind. */
    private static String typeOf(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? null : TYPES.get(name.substring(dot + 1));
    }

    /**
     * Reads the bundle's files within a budget of files and bytes. IO errors become an {@link UncheckedIOException}
     * that fails the start: a jar that cannot be read is not a server to run.
     */
    private static final class BundleReader {
        private final Map<String, File> read = new HashMap<>();
        private final int maxFiles;
        private final long maxTotalBytes;
        private long bytesLeft;
        private boolean warned;

        BundleReader(int maxFiles, long maxTotalBytes) {
            this.maxFiles = maxFiles;
            this.maxTotalBytes = maxTotalBytes;
            this.bytesLeft = maxTotalBytes;
        }

        Map<String, File> read(ClassLoader loader) {
            URL index = loader.getResource(RESOURCE_ROOT + INDEX);
            if (index == null) {
                return read;
            }
            try {
                switch (index.getProtocol()) {
                    case "file" -> fromDirectory(Path.of(index.toURI()).getParent());
                    case "jar" -> fromJar((JarURLConnection) index.openConnection());
                    default -> throw new IOException("neither in a directory nor in a jar: " + index);
                }
            } catch (IOException | URISyntaxException e) {
                throw new UncheckedIOException("Cannot read the web console's files from the class path",
                        e instanceof IOException io ? io : new IOException(e));
            }
            return read;
        }

        private void fromDirectory(Path root) throws IOException {
            List<Path> found;
            try (Stream<Path> walk = Files.walk(root)) {
                found = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : found) {
                String name = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (wanted(name) && fits(name, Files.size(file))) {
                    keep(name, Files.readAllBytes(file));
                }
            }
        }

        private void fromJar(JarURLConnection connection) throws IOException {
            // Uncached: this JarFile is ours to close, and the class loader's own stays as it is.
            connection.setUseCaches(false);
            try (JarFile jar = connection.getJarFile()) {
                for (JarEntry entry : Collections.list(jar.entries())) {
                    String path = entry.getName();
                    if (entry.isDirectory() || !path.startsWith(RESOURCE_ROOT)) {
                        continue;
                    }
                    String name = path.substring(RESOURCE_ROOT.length());
                    if (wanted(name) && fits(name, Math.max(entry.getSize(), 0))) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            // An entry's size may be unknown: read no more than the budget allows.
                            byte[] bytes = in.readNBytes((int) Math.min(bytesLeft + 1, Integer.MAX_VALUE - 8));
                            if (fits(name, bytes.length)) {
                                keep(name, bytes);
                            }
                        }
                    }
                }
            }
        }

        private static boolean wanted(String name) {
            return SAFE_NAME.matcher(name).matches() && typeOf(name) != null;
        }

        private boolean fits(String name, long sizeBytes) {
            if (read.size() < maxFiles && sizeBytes <= bytesLeft) {
                return true;
            }
            if (!warned) {
                warned = true;
                log.warn("The web console's bundle is over {} files or {} bytes: {} and what follows are left out "
                        + "(answered 404)", maxFiles, maxTotalBytes, name);
            }
            return false;
        }

        private void keep(String name, byte[] bytes) throws IOException {
            bytesLeft -= bytes.length;
            String extension = name.substring(name.lastIndexOf('.') + 1);
            byte[] gzipped = COMPRESSIBLE.contains(extension) ? gzip(bytes) : null;
            read.put(name, new File(bytes, gzipped != null && gzipped.length < bytes.length ? gzipped : null,
                    typeOf(name)));
        }
    }

    /** {@code bytes} gzipped at the best compression: each file is compressed once and sent many times. */
    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }

    /** The path of a request target: without its query or fragment. */
    private static String pathOf(String uri) {
        int end = uri.length();
        int query = uri.indexOf('?');
        if (query >= 0) {
            end = query;
        }
        int fragment = uri.indexOf('#');
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        return uri.substring(0, end);
    }
}
