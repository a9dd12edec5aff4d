package dev.millrace.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The data dir's lock file is private to its owner (0600) like every other file in it, also one an older run left. */
class DataDirLockTest {
    @TempDir
    Path dir;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void theLockFileIsMadePrivate() throws Exception {
        Path data = dir.resolve("data");
        try (DataDirLock lock = DataDirLock.acquire(data)) {
            assertThat(mode(data.resolve(DataDirLock.FILE_NAME))).isEqualTo("rw-------");
        }
    }

    @Test
    void aLockFileAnOlderRunLeftReadableIsTightened() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path file = Files.createFile(data.resolve(DataDirLock.FILE_NAME),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try (DataDirLock lock = DataDirLock.acquire(data)) {
            assertThat(mode(file)).isEqualTo("rw-------");
        }
    }
}
