package io.polyarch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps the package arrows of CONVENTIONS.md pointing one way (ggcr's depcheck in spirit). */
class ArchitectureTest {
    static final Path SRC = Path.of("src/main/java/io/polyarch");
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.polyarch\\.([a-z.]+)\\.[A-Z]", Pattern.MULTILINE);

    /** package → the polyarch packages it may import (besides itself). */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("oci", Set.of()),
            Map.entry("store", Set.of("oci")),
            Map.entry("registry.http", Set.of()),
            Map.entry("registry.auth", Set.of("registry.http")),
            Map.entry("registry", Set.of("oci", "store", "registry.http", "registry.auth")),
            Map.entry("layout", Set.of("oci", "store")),
            Map.entry("tags", Set.of()),
            Map.entry("build", Set.of("oci", "store")),
            Map.entry("build.docker", Set.of("oci", "store", "layout", "build")),
            Map.entry("build.buildah", Set.of("oci", "store", "layout", "build")),
            Map.entry("pipeline.spec", Set.of("oci", "store", "tags")),
            Map.entry("pipeline.plan", Set.of()),
            Map.entry("pipeline.run", Set.of("oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "build", "build.docker", "build.buildah", "tags", "soci", "git", "pipeline.spec", "pipeline.plan")),
            Map.entry("ops", Set.of("oci", "store", "registry", "registry.http", "registry.auth", "layout")),
            Map.entry("pipeline", Set.of("oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "build", "tags", "soci", "git")),
            Map.entry("git", Set.of()),
            Map.entry("soci", Set.of("oci", "store")),
            Map.entry("aws", Set.of("oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "tags", "pipeline.spec", "pipeline.plan", "pipeline.run")),
            Map.entry("cli", Set.of("aws", "oci", "store", "registry", "registry.http", "registry.auth", "layout", "ops", "build", "build.docker", "build.buildah", "tags", "pipeline", "pipeline.spec", "pipeline.plan", "pipeline.run", "soci", "git")));

    @Test
    void packagesDependOnlyDownwards() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = SRC.relativize(f.getParent()).toString().replace('/', '.');
                Set<String> allowed = ALLOWED.get(pkg);
                assertTrue(allowed != null, "package " + pkg + " has no rule in ArchitectureTest");
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) {
                    String dep = m.group(1);
                    if (!dep.equals(pkg) && !allowed.contains(dep)) violations.add(f + " imports io.polyarch." + dep);
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void libraryCodeReadsNoGlobalState() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/cli/")).toList()) {
                String text = Files.readString(f);
                if (text.contains("System.getenv(") || text.contains("System.out") || text.contains("System.err")) violations.add(f.toString());
            }
        }
        assertEquals(List.of(), violations, "environment and terminal belong to the CLI");
    }
}
