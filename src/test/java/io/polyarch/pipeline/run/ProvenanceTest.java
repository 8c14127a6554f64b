package io.polyarch.pipeline.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.git.GitSource;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.plan.PlanBuilder;
import io.polyarch.pipeline.spec.SpecLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SLSA statement of one platform's image, as a CodeBuild job writes it. */
class ProvenanceTest {
    @Test
    void onCodeBuildTheBuilderIsTheBuildAndSecretsAreNotRecorded(@TempDir Path repo) throws Exception {
        Files.writeString(repo.resolve("Dockerfile"), "FROM scratch AS runtime\nCOPY . /\n");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        var spec = SpecLoader.parse("polyarch.yaml", """
                destination: {registry: {repository: r.example/app}}
                source: {github: {owner: acme, repo: shop}}
                buildArgs: {VERSION: "1.2", NPM_TOKEN: do-not-record}
                target: runtime
                """, SpecLoader.Overrides.none());
        GitSource.Checkout src = new GitSource.Checkout(repo, commit, "main", List.of(), false, null);
        Plan plan = PlanBuilder.build(spec, src, true);
        Plan.Variant v = plan.variants().get(0);
        Plan.Cell arm = v.cells().get(1);
        Digest subject = Digest.sha256("image".getBytes(StandardCharsets.UTF_8));
        String arn = "arn:aws:codebuild:us-east-1:123456789012:build/app-arm64:5b7d";
        byte[] st = Provenance.statement(new Provenance.Facts("r.example/app", subject, src, v, arm, "Dockerfile",
                Map.of(1, "r.example/base@sha256:" + "ab".repeat(32)), "docker 26.1.5", "cd".repeat(32),
                Instant.parse("2026-12-01T10:00:00Z"), Instant.parse("2026-12-01T10:01:00Z"),
                Map.of("CODEBUILD_BUILD_ARN", arn, "CODEBUILD_BUILD_ID", "app-arm64:5b7d")));
        JsonNode j = OciJson.readTree(st, "statement");
        assertEquals(subject.hex(), j.path("subject").path(0).path("digest").path("sha256").asText());
        assertEquals(arn, j.path("predicate").path("runDetails").path("builder").path("id").asText());
        assertEquals("app-arm64:5b7d", j.path("predicate").path("runDetails").path("metadata").path("invocationId").asText());
        JsonNode ext = j.path("predicate").path("buildDefinition").path("externalParameters");
        assertEquals("https://github.com/acme/shop", ext.path("repository").asText());
        assertEquals("runtime", ext.path("target").asText());
        assertEquals("linux/arm64", ext.path("platform").asText());
        assertEquals("1.2", ext.path("buildArgs").path("VERSION").asText());
        assertFalse(new String(st, StandardCharsets.UTF_8).contains("do-not-record"), "a build arg named like a secret is listed without its value");
        JsonNode deps = j.path("predicate").path("buildDefinition").path("resolvedDependencies");
        assertEquals("git+https://github.com/acme/shop@" + commit, deps.path(0).path("uri").asText());
        assertEquals(commit, deps.path(0).path("digest").path("sha1").asText());
        assertTrue(deps.path(1).path("uri").asText().startsWith("pkg:docker/r.example/base?platform=linux%2Farm64"), deps.toString());
        assertEquals("cd".repeat(32), j.path("predicate").path("runDetails").path("byproducts").path(0).path("digest").path("sha256").asText());
    }
}
