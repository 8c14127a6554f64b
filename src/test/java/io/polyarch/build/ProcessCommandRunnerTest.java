package io.polyarch.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProcessCommandRunnerTest {
    @Test
    void aBareCommandIsFoundOnTheCommandsOwnPathNotTheJvms(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = Files.writeString(bin.resolve("polyarch-test-tool"), "#!/bin/sh\necho from $0\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("PATH", dir.resolve("empty") + ":" + bin + ":/usr/bin:/bin");
        assertEquals(List.of(tool.toString(), "x"), ProcessCommandRunner.resolve(List.of("polyarch-test-tool", "x"), env));
        CommandRunner.Result r = new ProcessCommandRunner().run(List.of("polyarch-test-tool"), env);
        assertEquals("from " + tool, r.out().strip());
        assertEquals(List.of("/bin/sh"), ProcessCommandRunner.resolve(List.of("/bin/sh"), env), "a path is taken as it is");
        assertEquals(List.of("nowhere-tool"), ProcessCommandRunner.resolve(List.of("nowhere-tool"), env), "not found: left to the JVM to report");
    }
}
