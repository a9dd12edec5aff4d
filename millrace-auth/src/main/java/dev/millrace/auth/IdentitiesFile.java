package dev.millrace.auth;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.millrace.auth.policy.MalformedPolicyException;
import dev.millrace.auth.policy.PolicyDocument;
import dev.millrace.auth.policy.PolicyJson;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads an identities file (issue 16):
 * <pre>
 * {"identities": [
 *   {"name": "producer", "accountId": "111122223333", "accessKeyId": "AKIA...", "secretAccessKey": "...",
 *    "policy": {"Version": "2012-10-17", "Statement": [...]}}
 * ]}
 * </pre>
 * Everything is checked before a snapshot is returned, so a bad file never half-applies: field types and shapes,
 * unique access key ids, names unique per account, each policy (an identity without {@code "policy"} may do nothing),
 * and no unknown field anywhere ({@code "polcy"} must not silently mean "no policy"), no duplicate key. The file is
 * read with Jackson's streaming parser, at most {@link #MAX_FILE_BYTES}.
 *
 * <p>Stateless, thread-safe.
 */
public final class IdentitiesFile {
    /** Thousands of identities with their policies fit easily; past this it is the wrong file. */
    public static final int MAX_FILE_BYTES = 4 * 1024 * 1024;
    private static final Set<String> FIELDS = Set.of("name", "accountId", "accessKeyId", "secretAccessKey", "policy");
    private static final String ALLOW_ALL = "{\"Version\": \"2012-10-17\", "
            + "\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}";

    private static final Pattern UNRECOGNIZED_TOKEN = Pattern.compile("Unrecognized token '[^']*'");

    private IdentitiesFile() {
    }

    /** The file's identities, or an exception that says why not. */
    public static Identities load(Path file) throws IdentitiesFileException {
        byte[] bytes = readBounded(file);
        List<String> warnings = new ArrayList<>();
        permissionWarning(file).ifPresent(warnings::add);
        List<Identity> identities = parse(file, bytes);
        if (identities.isEmpty()) {
            warnings.add("Identities file " + file + " lists no identities: every signed request will be refused.");
        }
        for (Identity identity : identities) {
            if (identity.policy() == null) {
                warnings.add("Identity \"" + identity.name() + "\" (" + identity.principalArn() + ") has no policy: "
                        + "it may do nothing except what a resource policy grants it.");
            }
        }
        try {
            return Identities.of(identities, warnings);
        } catch (IllegalArgumentException e) {
            throw new IdentitiesFileException("Identities file " + file + ": " + e.getMessage());
        }
    }

    private static byte[] readBounded(Path file) throws IdentitiesFileException {
        try (InputStream in = Files.newInputStream(file)) {
            // Read one byte past the limit rather than trust the size: the file may grow while it is read.
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IdentitiesFileException("Identities file " + file + " is larger than " + MAX_FILE_BYTES
                        + " bytes; is it the right file?");
            }
            return bytes;
        } catch (IOException e) {
            throw new IdentitiesFileException("Identities file " + file + " cannot be read: " + e, e);
        }
    }

    private static Optional<String> permissionWarning(Path file) {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> permissions = view.readAttributes().permissions();
            boolean group = permissions.contains(PosixFilePermission.GROUP_READ);
            boolean others = permissions.contains(PosixFilePermission.OTHERS_READ);
            if (!group && !others) {
                return Optional.empty();
            }
            String who = group && others ? "its group and all users" : group ? "its group" : "all users";
            return Optional.of("Identities file " + file + " holds secret keys and is readable by " + who
                    + "; make it readable by its owner only (chmod 600 " + file + ").");
        } catch (IOException e) {
            return Optional.of("Identities file " + file + ": its permissions cannot be read (" + e + ").");
        }
    }

    private static List<Identity> parse(Path file, byte[] bytes) throws IdentitiesFileException {
        String where = "Identities file " + file;
        try (JsonParser parser = PolicyJson.factory().createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IdentitiesFileException(where + " must hold a JSON object {\"identities\": [...]}");
            }
            List<Identity> identities = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (!field.equals("identities")) {
                    throw new IdentitiesFileException(where + ": unknown field \"" + field + "\" at line "
                            + line(parser) + "; the file holds only \"identities\"");
                }
                if (value != JsonToken.START_ARRAY) {
                    throw new IdentitiesFileException(where + ": \"identities\" must be an array, at line "
                            + line(parser));
                }
                identities = identities(where, parser);
            }
            if (parser.nextToken() != null) {
                throw new IdentitiesFileException(where + ": text follows the JSON object at line " + line(parser));
            }
            if (identities == null) {
                throw new IdentitiesFileException(where + " has no \"identities\" array");
            }
            return identities;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            // Jackson quotes the offending token, which in this file may be an unquoted secret: never log it.
            String reason = UNRECOGNIZED_TOKEN.matcher(e.getOriginalMessage()).replaceAll("Unrecognized token");
            throw new IdentitiesFileException(where + " is not valid JSON: " + reason
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new IdentitiesFileException(where + " cannot be read: " + e, e);
        }
    }

    private static List<Identity> identities(String where, JsonParser parser)
            throws IOException, IdentitiesFileException {
        List<Identity> identities = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            int line = line(parser);
            String which = "identity " + (identities.size() + 1) + " (line " + line + ")";
            if (token != JsonToken.START_OBJECT) {
                throw new IdentitiesFileException(where + ": " + which + " must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) JsonTree.read(parser);
            identities.add(identity(where, which, fields));
        }
        return identities;
    }

    private static Identity identity(String where, String which, Map<String, Object> fields)
            throws IdentitiesFileException {
        if (fields.get("name") instanceof String name) {
            which = which + " \"" + name + "\"";
        }
        String prefix = where + ": " + which + ": ";
        for (String field : fields.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IdentitiesFileException(prefix + "unknown field \"" + field + "\"; an identity has name, "
                        + "accountId, accessKeyId, secretAccessKey and policy");
            }
        }
        String name = string(prefix, fields, "name", Identity.nameProblem(stringOrNull(fields, "name")));
        String accountId = string(prefix, fields, "accountId",
                Identity.accountIdProblem(stringOrNull(fields, "accountId")));
        String accessKeyId = string(prefix, fields, "accessKeyId",
                Identity.accessKeyIdProblem(stringOrNull(fields, "accessKeyId")));
        String secret = string(prefix, fields, "secretAccessKey",
                Identity.secretProblem(stringOrNull(fields, "secretAccessKey")));
        PolicyDocument policy = policy(prefix, fields);
        return new Identity(name, accountId, accessKeyId, secret, policy);
    }

    private static String stringOrNull(Map<String, Object> fields, String field) {
        return fields.get(field) instanceof String s ? s : null;
    }

    private static String string(String prefix, Map<String, Object> fields, String field, String problem)
            throws IdentitiesFileException {
        Object value = fields.get(field);
        if (value == null) {
            throw new IdentitiesFileException(prefix + "field \"" + field + "\" is missing");
        }
        if (!(value instanceof String s)) {
            throw new IdentitiesFileException(prefix + "field \"" + field + "\" must be a string");
        }
        if (problem != null) {
            throw new IdentitiesFileException(prefix + "field \"" + field + "\": " + problem);
        }
        return s;
    }

    private static PolicyDocument policy(String prefix, Map<String, Object> fields) throws IdentitiesFileException {
        if (!fields.containsKey("policy")) {
            return null;
        }
        Object value = fields.get("policy");
        if (value instanceof String s) {
            throw new IdentitiesFileException(prefix + "field \"policy\" is the string \"" + s + "\"; a policy is an "
                    + "IAM policy document (a JSON object). For an identity that may do everything, write "
                    + "\"policy\": " + ALLOW_ALL);
        }
        if (!(value instanceof Map)) {
            throw new IdentitiesFileException(prefix + "field \"policy\" must be an IAM policy document (a JSON "
                    + "object); leave the field out for an identity that may do nothing");
        }
        try {
            return PolicyDocument.fromJson(value, PolicyDocument.Kind.IDENTITY);
        } catch (MalformedPolicyException e) {
            throw new IdentitiesFileException(prefix + "field \"policy\": " + e.getMessage());
        }
    }

    private static int line(JsonParser parser) {
        return parser.currentTokenLocation().getLineNr();
    }
}
