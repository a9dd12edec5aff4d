package dev.millrace.jib;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.ContainerBuildPlan;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.plugins.extension.JibPluginExtensionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The layer {@link DataDirOwnership} adds: one directory entry with the owner and mode asked for, after the plan's
 * own layers; bad properties stop the build with a message. That the image's volume is then the server's is
 * ContainerImageTest's business (millrace-it), with podman.
 */
class DataDirOwnershipTest {
    @TempDir
    Path dir;

    private final DataDirOwnership extension = new DataDirOwnership();

    private ContainerBuildPlan extend(ContainerBuildPlan plan, Map<String, String> properties) throws Exception {
        return extension.extendContainerBuildPlan(plan, properties, Optional.empty(), null, null);
    }

    @Test
    void addsTheDirectoryOwnedByTheUserWithItsModeAsTheLastLayer() throws Exception {
        FileEntriesLayer app = FileEntriesLayer.builder().setName("classes").build();
        ContainerBuildPlan plan = ContainerBuildPlan.builder().addLayer(app).setUser("10001:10001").build();
        Path empty = dir.resolve("target/data");

        ContainerBuildPlan extended = extend(plan, Map.of("path", "/data", "owner", "10001:10001",
                "emptyDir", empty.toString()));

        assertThat(extended.getLayers()).hasSize(2).first().isEqualTo(app);
        FileEntriesLayer added = (FileEntriesLayer) extended.getLayers().get(1);
        assertThat(added.getName()).isEqualTo(DataDirOwnership.LAYER_NAME);
        assertThat(added.getEntries()).hasSize(1);
        FileEntry entry = added.getEntries().get(0);
        assertThat(entry.getExtractionPath()).isEqualTo(AbsoluteUnixPath.get("/data"));
        assertThat(entry.getOwnership()).isEqualTo("10001:10001");
        assertThat(entry.getPermissions().toOctalString()).isEqualTo("700");
        assertThat(entry.getSourceFile()).isEqualTo(empty);
        assertThat(Files.isDirectory(empty)).isTrue();
        assertThat(extended.getUser()).isEqualTo("10001:10001");
    }

    @Test
    void refusesANamedOwnerABadModeAndADirectoryWithFilesInIt() throws Exception {
        ContainerBuildPlan plan = ContainerBuildPlan.builder().build();
        String empty = dir.resolve("empty").toString();
        assertThatThrownBy(() -> extend(plan, Map.of("path", "/data", "owner", "millrace", "emptyDir", empty)))
                .isInstanceOf(JibPluginExtensionException.class).hasMessageContaining("numeric UID:GID");
        assertThatThrownBy(() -> extend(plan, Map.of("path", "/data", "owner", "1:1", "mode", "9z",
                "emptyDir", empty))).isInstanceOf(JibPluginExtensionException.class).hasMessageContaining("mode");
        assertThatThrownBy(() -> extend(plan, Map.of("owner", "1:1", "emptyDir", empty)))
                .isInstanceOf(JibPluginExtensionException.class).hasMessageContaining("'path' is required");
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("stray"), "x");
        assertThatThrownBy(() -> extend(plan, Map.of("path", "/data", "owner", "1:1", "emptyDir", full.toString())))
                .isInstanceOf(JibPluginExtensionException.class).hasMessageContaining("must be empty");
    }
}
