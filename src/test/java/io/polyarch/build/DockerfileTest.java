package io.polyarch.build;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DockerfileTest {
    static final String CROSS = """
            # syntax=docker/dockerfile:1
            ARG GO=registry.local/golang:1.22
            FROM --platform=$BUILDPLATFORM ${GO} AS build
            ARG TARGETARCH
            RUN GOARCH=$TARGETARCH go build \\
                -o /out/app .
            FROM scratch
            COPY --from=build /out/app /app
            """;

    @Test
    void stagesArgsAndPlatforms() {
        Dockerfile d = Dockerfile.parse(CROSS);
        assertEquals(2, d.froms().size());
        Dockerfile.From build = d.froms().get(0);
        assertEquals(2, build.line());
        assertEquals("${GO}", build.image());
        assertEquals("build", build.stageName());
        assertTrue(build.onBuildPlatform());
        assertTrue(build.hasRun());
        assertEquals("registry.local/golang:1.22", d.expand(build.image(), Map.of()));
        assertEquals("other/go:1", d.expand(build.image(), Map.of("GO", "other/go:1")));
        // RUN only in a $BUILDPLATFORM stage: no emulation needed
        assertFalse(d.runsOnTarget());
    }

    @Test
    void unknownArgMeansUnknownImage() {
        Dockerfile d = Dockerfile.parse("FROM ${NOPE}\nRUN true\n");
        assertNull(d.expand(d.froms().get(0).image(), Map.of()));
        assertTrue(d.runsOnTarget());
    }

    @Test
    void rewriteChangesOnlyTheImage() {
        Dockerfile d = Dockerfile.parse(CROSS);
        String out = d.rewrite(Map.of(2, "registry.local/golang@sha256:" + "a".repeat(64)));
        List<String> lines = out.lines().toList();
        assertEquals("FROM --platform=$BUILDPLATFORM registry.local/golang@sha256:" + "a".repeat(64) + " AS build", lines.get(2));
        assertEquals(CROSS.lines().toList().subList(3, 8), lines.subList(3, 8));
    }
}
