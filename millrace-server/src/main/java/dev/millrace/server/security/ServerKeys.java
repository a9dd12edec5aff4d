package dev.millrace.server.security;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.JsonTree;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.records.StreamKeys;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The KMS keys of {@code --kms-keys FILE}, which streams are encrypted at rest with (StartStreamEncryption) and their
 * records decrypted with. The file stays apart from the data directory: a copy of the data directory without it
 * reveals no record of an encrypted stream. It is a JSON document:
 * <pre>
 *   {"keys": [{"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "aliases": ["alias/orders"], "enabled": true,
 *              "material": "&lt;base64 of 32 random bytes: head -c 32 /dev/urandom | base64&gt;"}]}
 * </pre>
 * A request names a key as AWS's do: its id, its ARN ({@code arn:aws:kms:REGION:ACCOUNT:key/ID}), an alias
 * ({@code alias/orders}, also {@code alias/aws/kinesis} if the file gives that alias to a key) or an alias ARN. A key
 * set {@code "enabled": false} refuses writes and reads of what it encrypted with AWS's KMSDisabledException until it
 * is enabled again; a key removed from the file, KMSNotFoundException. Never remove a key whose records are still
 * retained. Re-read on SIGHUP; a bad file keeps the keys in force and logs why.
 *
 * <p>Thread-safe: a snapshot is replaced whole.
 */
public final class ServerKeys implements KeyRing, StreamKeys {
    private static final Logger log = LoggerFactory.getLogger(ServerKeys.class);
    static final int MAX_FILE_BYTES = 1024 * 1024;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern ALIAS = Pattern.compile("alias/[A-Za-z0-9/_-]{1,250}");
    private static final Set<String> FIELDS = Set.of("keyId", "aliases", "enabled", "material");

    /** One key of the file. */
    record Key(String keyId, List<String> aliases, boolean enabled, DataKey dataKey) {
    }

    private record Snapshot(Map<String, Key> byId, Map<String, Key> byAlias) {
    }

    private final Path file;
    private final AtomicReference<Snapshot> current;

    private ServerKeys(Path file, Snapshot first) {
        this.file = file;
        this.current = new AtomicReference<>(first);
    }

    /** Loads {@code file}; throws with its problem, so that the server does not start on a bad one. */
    public static ServerKeys load(Path file) throws IOException {
        ServerKeys keys = new ServerKeys(file, read(file));
        log.info("Loaded {} KMS keys from {}", keys.current.get().byId().size(), file);
        return keys;
    }

    /** Re-reads the file; keeps the keys in force if it cannot be read or is not valid. */
    public boolean reload() {
        try {
            Snapshot next = read(file);
            current.set(next);
            log.info("Loaded {} KMS keys from {}", next.byId().size(), file);
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("KMS key file {} not reloaded, the keys loaded before stay in force: {}", file, e.getMessage());
            return false;
        }
    }

    @Override
    public DataKey key(String keyId) {
        Key key = current.get().byId().get(keyId);
        if (key == null) {
            throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.NOT_FOUND);
        }
        if (!key.enabled()) {
            throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.DISABLED);
        }
        return key.dataKey();
    }

    @Override
    public DataKey key(String requestedKeyId, Account scope) {
        Snapshot s = current.get();
        String prefix = "arn:" + scope.partition() + ":kms:";
        String name = requestedKeyId;
        if (name.startsWith(prefix)) {
            // arn:aws:kms:REGION:ACCOUNT:key/ID or ...:alias/NAME
            String[] parts = name.split(":", 6);
            name = parts.length == 6 ? parts[5] : "";
            if (name.startsWith("key/")) {
                name = name.substring("key/".length());
            }
        }
        Key key = name.startsWith("alias/") ? s.byAlias().get(name) : s.byId().get(name);
        String arn = "arn:" + scope.partition() + ":kms:" + scope.region() + ":" + scope.id() + ":"
                + (name.startsWith("alias/") ? name : "key/" + name);
        if (key == null) {
            throw KinesisException.client("KMSNotFoundException", name.startsWith("alias/")
                    ? "Alias " + arn + " is not found." : "Key '" + arn + "' does not exist");
        }
        if (!key.enabled()) {
            throw KinesisException.client("KMSDisabledException", "arn:" + scope.partition() + ":kms:"
                    + scope.region() + ":" + scope.id() + ":key/" + key.keyId() + " is disabled.");
        }
        return key.dataKey();
    }

    private static Snapshot read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(file + " is " + size + " bytes; a key file is at most " + MAX_FILE_BYTES);
        }
        warnIfOthersCanRead(file);
        Object tree;
        try (JsonParser p = new JsonFactory().createParser(Files.readAllBytes(file))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": a key file is a JSON object {\"keys\": [...]}");
            }
            tree = JsonTree.read(p);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // Not the parser's message: it may quote the text around the error, which holds key material.
            throw new IOException(file + " is not valid JSON (line " + e.getLocation().getLineNr() + ")");
        }
        return parse(file, tree);
    }

    @SuppressWarnings("unchecked")
    private static Snapshot parse(Path file, Object tree) throws IOException {
        Map<String, Object> root = (Map<String, Object>) tree;
        if (root.size() != 1 || !(root.get("keys") instanceof List<?> keys)) {
            throw new IOException(file + ": a key file is a JSON object {\"keys\": [...]} and nothing else");
        }
        Map<String, Key> byId = new HashMap<>();
        Map<String, Key> byAlias = new HashMap<>();
        int n = 0;
        for (Object entry : keys) {
            n++;
            Key key = key(file, n, entry);
            if (byId.putIfAbsent(key.keyId(), key) != null) {
                throw new IOException(file + ": key " + n + ": keyId " + key.keyId() + " appears twice");
            }
            for (String alias : key.aliases()) {
                if (byAlias.putIfAbsent(alias, key) != null) {
                    throw new IOException(file + ": key " + n + ": alias " + alias + " names two keys");
                }
            }
        }
        return new Snapshot(Map.copyOf(byId), Map.copyOf(byAlias));
    }

    @SuppressWarnings("unchecked")
    private static Key key(Path file, int n, Object entry) throws IOException {
        String where = file + ": key " + n + ": ";
        if (!(entry instanceof Map<?, ?> m)) {
            throw new IOException(where + "each key is an object {\"keyId\", \"aliases\", \"enabled\", \"material\"}");
        }
        for (Object field : m.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IOException(where + "unknown field \"" + field + "\" (known: keyId, aliases, enabled, "
                        + "material)");
            }
        }
        if (!(m.get("keyId") instanceof String keyId) || !KEY_ID.matcher(keyId).matches()) {
            throw new IOException(where + "keyId must be 1 to 128 of A-Z a-z 0-9 - _ (a KMS key id, such as a UUID)");
        }
        where = file + ": key " + keyId + ": ";
        List<String> aliases = List.of();
        if (m.get("aliases") != null) {
            if (!(m.get("aliases") instanceof List<?> list) || !list.stream().allMatch(a -> a instanceof String s
                    && ALIAS.matcher(s).matches())) {
                throw new IOException(where + "aliases must be a list of names like \"alias/orders\"");
            }
            aliases = (List<String>) (List<?>) List.copyOf(list);
        }
        Object enabled = m.get("enabled") == null ? Boolean.TRUE : m.get("enabled");
        if (!(enabled instanceof Boolean)) {
            throw new IOException(where + "enabled must be true or false");
        }
        byte[] material;
        try {
            material = m.get("material") instanceof String text ? Base64.getDecoder().decode(text) : null;
        } catch (IllegalArgumentException e) {
            material = null;
        }
        if (material == null || material.length != DataKey.KEY_BYTES) {
            throw new IOException(where + "material must be the base64 of " + DataKey.KEY_BYTES + " random bytes "
                    + "(head -c 32 /dev/urandom | base64)");
        }
        return new Key(keyId, aliases, (Boolean) enabled, new DataKey(keyId, material));
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> modes = Files.getPosixFilePermissions(file);
            if (modes.contains(PosixFilePermission.GROUP_READ) || modes.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("KMS key file {} can be read by other users: chmod 600 {}", file, file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
