package io.polyarch.build;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** .dockerignore rules as Docker documents them, and a context digest that changes exactly when the build could see a change. */
class BuildContextTest {
    @Test
    void dockerignorePatterns() {
        BuildContext c = BuildContext.parse(List.of(
                "# comment", "", "*.md", "!README.md", "/tmp", "**/*.log", "build/", "docs/**/draft-?.txt", "secret[0-9]", "./cache/../node_modules"));
        assertTrue(c.excluded("CHANGES.md"));
        assertFalse(c.excluded("README.md"), "exception after the exclusion wins");
        assertFalse(c.excluded("docs/CHANGES.md"), "* does not cross /");
        assertTrue(c.excluded("tmp/x/y"), "leading / is the context root; a directory excludes its content");
        assertTrue(c.excluded("a/b/c.log"));
        assertTrue(c.excluded("c.log"), "**/ matches zero directories");
        assertTrue(c.excluded("build/out.bin"));
        assertTrue(c.excluded("docs/a/b/draft-1.txt"));
        assertFalse(c.excluded("docs/a/b/draft-10.txt"));
        assertTrue(c.excluded("secret7"));
        assertFalse(c.excluded("secretX"));
        assertTrue(c.excluded("node_modules/pkg/index.js"), "patterns are cleaned like paths");
        assertFalse(c.excluded("src/main.go"));
    }

    @Test
    void theDigestFollowsWhatTheBuildSees(@TempDir Path dir) throws Exception {
        Path ctx = Files.createDirectories(dir.resolve("ctx"));
        Files.writeString(ctx.resolve("app.py"), "print(1)\n");
        Files.createDirectories(ctx.resolve("logs"));
        Files.writeString(ctx.resolve("logs/today.log"), "noise");
        Files.writeString(ctx.resolve(".dockerignore"), "logs\n*.tmp\n");
        Path df = ctx.resolve("Dockerfile");
        Files.writeString(df, "FROM scratch\n");
        String d0 = BuildContext.of(ctx, df).digest(ctx).toString();
        assertEquals(d0, BuildContext.of(ctx, df).digest(ctx).toString(), "stable");
        Files.writeString(ctx.resolve("logs/today.log"), "more noise");
        Files.writeString(ctx.resolve("x.tmp"), "scratch");
        assertEquals(d0, BuildContext.of(ctx, df).digest(ctx).toString(), "ignored files do not count");
        Files.writeString(ctx.resolve("app.py"), "print(2)\n");
        String d1 = BuildContext.of(ctx, df).digest(ctx).toString();
        assertNotEquals(d0, d1, "content");
        Files.setPosixFilePermissions(ctx.resolve("app.py"), PosixFilePermissions.fromString("rwxr-xr-x"));
        String d2 = BuildContext.of(ctx, df).digest(ctx).toString();
        assertNotEquals(d1, d2, "mode");
        Files.createSymbolicLink(ctx.resolve("link"), Path.of("app.py"));
        String d3 = BuildContext.of(ctx, df).digest(ctx).toString();
        assertNotEquals(d2, d3, "a new link");
        // a Dockerfile-specific ignore file wins over the context's
        Files.writeString(ctx.resolve("Dockerfile.dockerignore"), "link\nlogs\n*.tmp\n");
        String d4 = BuildContext.of(ctx, df).digest(ctx).toString();
        Files.delete(ctx.resolve("link"));
        Files.createSymbolicLink(ctx.resolve("link"), Path.of("elsewhere"));
        assertEquals(d4, BuildContext.of(ctx, df).digest(ctx).toString(), "the link is ignored by Dockerfile.dockerignore");
        // a file outside the context does not count
        Files.writeString(dir.resolve("README.md"), "docs");
        assertEquals(d4, BuildContext.of(ctx, df).digest(ctx).toString());
    }
}
