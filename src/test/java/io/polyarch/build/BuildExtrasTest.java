package io.polyarch.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Secrets from the environment reach the builder as files of the run's own, readable by its user only. */
class BuildExtrasTest {
    @Test
    void aSecretValueIsWrittenOwnerOnlyAndNeverShown(@TempDir Path tmp) throws Exception {
        Path given = Files.writeString(tmp.resolve("netrc"), "machine x");
        BuildExtras extras = new BuildExtras(false, "none", List.of(BuildExtras.Secret.ofValue("npm", "t0ken"), BuildExtras.Secret.ofFile("netrc", given)));
        assertThrows(IllegalStateException.class, extras::flags, "a value is never passed to the builder as it is");
        BuildExtras written = extras.withSecretFiles(tmp.resolve("run/secrets"));
        Path npm = tmp.resolve("run/secrets/npm");
        assertEquals("t0ken", Files.readString(npm));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(npm)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(npm.getParent())));
        assertEquals(List.of("--network", "none", "--secret", "id=npm,src=" + npm, "--secret", "id=netrc,src=" + given), written.flags());
        assertFalse(written.toString().contains("t0ken") || extras.toString().contains("t0ken"));
    }
}
