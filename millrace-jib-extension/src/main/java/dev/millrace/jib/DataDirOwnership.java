package dev.millrace.jib;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ContainerBuildPlan;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.maven.extension.JibMavenPluginExtension;
import com.google.cloud.tools.jib.maven.extension.MavenData;
import com.google.cloud.tools.jib.plugins.extension.ExtensionLogger;
import com.google.cloud.tools.jib.plugins.extension.JibPluginExtensionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Adds one layer to the image: the data directory, owned by the user the server runs as. Jib writes every file it
 * puts in an image as root's, and the runtime creates a volume's mount point as root's too, so a server run as any
 * other user could not write its named volume; a named volume starts as a copy of the image's directory, ownership
 * and mode included, so this directory makes it the server's. Mode 700 keeps the records from other users of the
 * container, and the server does not warn at start that its data dir is open to others.
 *
 * <p>Properties, from the plugin's {@code <pluginExtension><properties>} in millrace-app's pom:
 * <ul>
 *   <li>{@code path}: where the directory is in the image, such as {@code /data};</li>
 *   <li>{@code owner}: {@code UID:GID}, numeric, since the base image need not have a name for the user;</li>
 *   <li>{@code mode}: octal, default {@code 700};</li>
 *   <li>{@code emptyDir}: a build directory to make the layer's directory entry from (created empty if missing;
 *       Jib copies a directory entry without its contents only when there are none).</li>
 * </ul>
 *
 * <p>Stateless; Jib calls it once per build.
 */
public final class DataDirOwnership implements JibMavenPluginExtension<Void> {
    /** The name of the layer it adds, as {@code podman history} and Jib's log show it. */
    public static final String LAYER_NAME = "millrace data directory";

    @Override
    public Optional<Class<Void>> getExtraConfigType() {
        return Optional.empty();
    }

    @Override
    public ContainerBuildPlan extendContainerBuildPlan(ContainerBuildPlan buildPlan, Map<String, String> properties,
            Optional<Void> extraConfig, MavenData mavenData, ExtensionLogger logger)
            throws JibPluginExtensionException {
        String path = required(properties, "path");
        String owner = required(properties, "owner");
        String mode = properties.getOrDefault("mode", "700");
        Path emptyDir = Path.of(required(properties, "emptyDir"));
        if (!owner.matches("[0-9]{1,10}:[0-9]{1,10}")) {
            throw problem("owner must be a numeric UID:GID such as 10001:10001, not '" + owner + "'", null);
        }
        if (!path.startsWith("/")) {
            throw problem("path must be absolute, not '" + path + "'", null);
        }
        FilePermissions permissions;
        try {
            permissions = FilePermissions.fromOctalString(mode);
        } catch (IllegalArgumentException e) {
            throw problem("mode must be 3 octal digits such as 700, not '" + mode + "'", e);
        }
        try {
            Files.createDirectories(emptyDir);
            try (var entries = Files.list(emptyDir)) {
                if (entries.findAny().isPresent()) {
                    throw problem("emptyDir " + emptyDir + " must be empty: its files would go into " + path, null);
                }
            }
        } catch (IOException e) {
            throw problem("cannot make " + emptyDir + ": " + e.getMessage(), e);
        }
        FileEntriesLayer layer = FileEntriesLayer.builder().setName(LAYER_NAME)
                .addEntry(new FileEntry(emptyDir, AbsoluteUnixPath.get(path), permissions,
                        FileEntriesLayer.DEFAULT_MODIFICATION_TIME, owner))
                .build();
        if (logger != null) {
            logger.log(ExtensionLogger.LogLevel.LIFECYCLE, "Adding " + path + " owned by " + owner + ", mode " + mode);
        }
        return buildPlan.toBuilder().addLayer(layer).build();
    }

    private static String required(Map<String, String> properties, String name) throws JibPluginExtensionException {
        String value = properties.get(name);
        if (value == null || value.isBlank()) {
            throw problem("property '" + name + "' is required", null);
        }
        return value.strip();
    }

    private static JibPluginExtensionException problem(String message, Throwable cause) {
        return new JibPluginExtensionException(DataDirOwnership.class, LAYER_NAME + ": " + message, cause);
    }
}
