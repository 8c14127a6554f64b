package io.polyarch.pipeline.plan;

import io.polyarch.git.GitSource;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.SpecLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan that run executes and plan prints: jobs, edges, the tags each writes; pure, from files only. */
class PlanBuilderTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path repo;

    @BeforeEach
    void dockerfile() throws Exception {
        Files.writeString(repo.resolve("Dockerfile"), "FROM scratch\nCOPY . /\n");
    }

    private Plan plan(String yaml, boolean publish) throws ConfigException {
        return PlanBuilder.build(SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none()),
                new GitSource.Checkout(repo, COMMIT, "main", List.of(), false, null), publish);
    }

    private static List<String> ids(Plan p) {
        return p.jobs().stream().map(j -> j.id().toString()).toList();
    }

    @Test
    void buildTestPushPublishWithTheTagsEachWrites() throws Exception {
        Plan p = plan("destination: {registry: {repository: r.example/app}}\ntest: {commands: [true], ignoreFailure: true}\n", true);
        assertEquals(List.of("build linux/amd64", "test linux/amd64", "push linux/amd64", "build linux/arm64", "test linux/arm64", "push linux/arm64",
                "publish r.example/app"), ids(p));
        Plan.Job push = p.job(new JobId(JobKind.PUSH, "linux/arm64")).orElseThrow();
        assertEquals(List.of(), push.tags(), "a push writes no tag users pull");
        assertEquals(List.of(new JobId(JobKind.TEST, "linux/arm64")), push.needs());
        assertTrue(p.job(new JobId(JobKind.TEST, "linux/amd64")).orElseThrow().ignoreFailure(), "the test block's ignoreFailure is in the plan");
        Plan.Job publish = p.jobs().get(p.jobs().size() - 1);
        assertEquals(List.of("latest", "01234567", "latest-amd64", "01234567-amd64", "latest-arm64", "01234567-arm64"), publish.tags(),
                "the publish writes the index tags, then the arch tags that agree with them");
        assertEquals(2, p.parallelism());
    }

    @Test
    void aMatrixHasACellPerVariantAndPlatformAndAPublishPerVariant() throws Exception {
        Plan p = plan("destination: {registry: {repository: r.example/app}}\nplatforms: [linux/amd64]\n"
                + "matrix: {V: ['1', '2']}\ntagRules: ['{V}-{commit-short}']\n", true);
        assertEquals(List.of("build V=1 linux/amd64", "push V=1 linux/amd64", "publish V=1", "build V=2 linux/amd64", "push V=2 linux/amd64",
                "publish V=2"), ids(p));
        assertEquals("2", p.variants().get(1).cells().get(0).buildArgs().get("V"));
        assertEquals("amd64", p.variants().get(1).cells().get(0).buildArgs().get("ARCH"));
    }

    @Test
    void printsAsJsonFromTheSameObject() throws Exception {
        Plan p = plan("destination: {registry: {repository: r.example/app}}\nplatforms: [linux/arm64]\nfastFail: true\n", true);
        var json = OciJson.mapper().readTree(OciJson.mapper().writeValueAsString(PlanSummary.of(p)));
        assertEquals(COMMIT, json.path("commit").asText());
        assertTrue(json.path("fastFail").asBoolean());
        assertEquals("publish", json.path("jobs").get(2).path("kind").asText());
        assertTrue(json.path("jobs").get(2).path("platform").isNull());
        assertEquals("push linux/arm64", json.path("jobs").get(2).path("needs").get(0).asText());
    }

    @Test
    void aMissingDockerfileOrTargetIsAConfigError() throws Exception {
        assertTrue(assertThrows(ConfigException.class, () -> plan("destination: {registry: {repository: r.example/app}}\ndockerfile: nope\n", true))
                .getMessage().contains("dockerfile 'nope' not found"));
        assertTrue(assertThrows(ConfigException.class, () -> plan("destination: {registry: {repository: r.example/app}}\ntarget: web\n", true))
                .getMessage().contains("target 'web' is not a stage"));
        assertTrue(assertThrows(ConfigException.class, () -> plan("platforms: [linux/amd64]\n", true)).getMessage().contains("no destination"));
    }

    @Test
    void aCommittedSymlinkCannotTakeTheContextOrTheDockerfileOutsideTheRepository(@TempDir Path outside) throws Exception {
        Files.writeString(outside.resolve("Dockerfile"), "FROM scratch\nCOPY . /stolen\n");
        Files.writeString(outside.resolve("config.json"), "{\"auths\": {}}");
        Files.createSymbolicLink(repo.resolve("ctx"), outside);
        ConfigException e = assertThrows(ConfigException.class,
                () -> plan("destination: {registry: {repository: r.example/app}}\nworkDir: ctx\n", true));
        assertTrue(e.getMessage().contains("workDir 'ctx' leads outside the repository through a symbolic link"), e.getMessage());

        Files.createSymbolicLink(repo.resolve("Dockerfile.evil"), outside.resolve("Dockerfile"));
        e = assertThrows(ConfigException.class, () -> plan("destination: {registry: {repository: r.example/app}}\ndockerfile: Dockerfile.evil\n", true));
        assertTrue(e.getMessage().contains("dockerfile 'Dockerfile.evil' leads outside the repository"), e.getMessage());

        Files.createSymbolicLink(repo.resolve("gone"), outside.resolve("nothing-here"));
        e = assertThrows(ConfigException.class, () -> plan("destination: {registry: {repository: r.example/app}}\nworkDir: gone\n", true));
        assertTrue(e.getMessage().contains("symbolic link to nowhere"), e.getMessage());

        // a link that stays inside the checkout is fine, and the plan builds what it points at
        Files.createDirectories(repo.resolve("services/api"));
        Files.writeString(repo.resolve("services/api/Dockerfile"), "FROM scratch\n");
        Files.createSymbolicLink(repo.resolve("api"), repo.resolve("services/api"));
        Plan p = plan("destination: {registry: {repository: r.example/app}}\nworkDir: api\n", true);
        assertEquals(repo.toRealPath().resolve("services/api"), p.context());
    }

    @Test
    void anArchTagThatCannotBeATagIsAConfigErrorNamingTheFile() {
        String tag = "t".repeat(125);
        ConfigException e = assertThrows(ConfigException.class,
                () -> plan("destination: {registry: {repository: r.example/app}}\ntagRules: [{literal: " + tag + "}]\n", true));
        assertTrue(e.getMessage().startsWith("polyarch.yaml: tagRules with archTags: arch tag '" + tag + "-amd64'"), e.getMessage());
        assertTrue(e.getMessage().contains("archTags: false"), e.getMessage());
    }

    @Test
    void annotationsAndLabelsExpandPerVariantAndBadOnesNameTheirPlace() throws Exception {
        Plan p = plan("""
                destination: {registry: {repository: r.example/app}}
                annotations: {org.example.build: '{VERSION}-{commit-short}'}
                labels: {org.example.branch: '{branch}'}
                matrix: {VERSION: ['3.12']}
                """, true);
        Plan.Variant v = p.variants().get(0);
        assertEquals("3.12-01234567", v.annotations().get("org.example.build"));
        assertEquals(COMMIT, v.annotations().get("org.opencontainers.image.revision"));
        assertEquals(repo.getFileName().toString(), v.annotations().get("org.opencontainers.image.title"), "no pipelineName, no remote: the directory's name");
        assertEquals("main", v.labels().get("org.example.branch"));
        assertFalse(v.labels().containsKey("org.example.build"), "annotations and labels are separate");

        ConfigException unknown = assertThrows(ConfigException.class,
                () -> plan("destination: {registry: {repository: r.example/app}}\nannotations: {team: '{owner}'}\n", true));
        assertTrue(unknown.getMessage().startsWith("polyarch.yaml: annotations.team: unknown placeholder {owner}"), unknown.getMessage());
        ConfigException key = assertThrows(ConfigException.class,
                () -> plan("destination: {registry: {repository: r.example/app}}\nlabels: {'bad key': x}\n", true));
        assertTrue(key.getMessage().contains("polyarch.yaml:") && key.getMessage().contains("'bad key' is not a label or annotation key"), key.getMessage());
    }
}
