package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.TagRule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecLoaderTest {
    static final String MAKEOPS = """
            pipelineName: my-app-pipeline
            source:
              github:
                owner: acme
                repo: my-app
                branch: main
                connectionArn: arn:aws:codeconnections:eu-west-1:111122223333:connection/abc
                triggerOnPush: true
            workDir: services/api
            destination:
              ecr:
                repoName: my-app
                exists: false
                tagRules:
                  - latest
                  - commit
                  - commit-short
            """;

    static PipelineSpec parse(String yaml) throws ConfigException {
        return SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none());
    }

    static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
    }

    @Test
    void makeOpsValuesYamlIsAcceptedUnchanged() throws Exception {
        PipelineSpec s = parse(MAKEOPS);
        assertEquals("my-app-pipeline", s.pipelineName());
        assertEquals("acme", s.github().owner());
        assertTrue(s.github().triggerOnPush());
        assertEquals("services/api", s.workDir());
        PipelineSpec.Ecr ecr = assertInstanceOf(PipelineSpec.Ecr.class, s.destination());
        assertEquals("my-app", ecr.repoName());
        assertFalse(ecr.exists());
        assertEquals(List.of("latest", "commit", "commit-short"), s.tagRules().stream().map(r -> r.text()).toList());
        assertEquals(List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64), s.platforms());
        assertEquals("ARCH", s.archBuildArg());
        assertTrue(s.archTags());
    }

    @Test
    void extensionsAndOverrides() throws Exception {
        PipelineSpec s = SpecLoader.parse("p.yaml", """
                destination:
                  registry:
                    repository: localhost:5000/team/app
                platforms: [linux/amd64, linux/arm64, linux/arm/v7]
                buildArgs: {VERSION: "1.2", EMPTY: }
                archNames: {linux/arm64: arm64v8}
                archBuildArg: ""
                builder:
                  type: docker
                  endpoints: {linux/arm64: "ssh://ci@graviton"}
                  docker: {mode: legacy}
                """, new SpecLoader.Overrides(null, List.of("linux/arm64"), Map.of("VERSION", "2"), null, null, null, null, false, List.of()));
        assertEquals(new StoreRef.Registry(io.polyarch.oci.Reference.parse("localhost:5000/team/app")), ((PipelineSpec.Target) s.destination()).ref());
        assertEquals(List.of(Platform.LINUX_ARM64), s.platforms());
        assertEquals(Map.of("VERSION", "2", "EMPTY", ""), s.buildArgs());
        assertEquals("arm64v8", s.archName(Platform.LINUX_ARM64));
        assertEquals("amd64", s.archName(Platform.LINUX_AMD64));
        assertEquals("armv7", s.archName(Platform.parse("linux/arm/v7")));
        assertEquals("", s.archBuildArg());
        assertFalse(s.archTags());
        assertEquals("ssh://ci@graviton", s.builder().endpointFor(Platform.LINUX_ARM64));
        assertEquals(PipelineSpec.DockerMode.LEGACY, s.builder().dockerMode());
    }

    @Test
    void flagsApplyToTheSpecTheFileGaveAndToTheVariantsThatInherited() throws Exception {
        String yaml = """
                destination:
                  ecr: {repoName: team/app}
                  registry: {repository: r.example/app}
                dockerfile: Dockerfile
                matrix:
                  - {V: "1"}
                  - {V: "2", dockerfile: Dockerfile.v2}
                """;
        // both destinations in the file are a conflict only when --to does not replace them
        assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none()));
        PipelineSpec s = SpecLoader.parse("polyarch.yaml", yaml, new SpecLoader.Overrides("localhost:5000/other", List.of("linux/arm64,linux/amd64"),
                Map.of(), "buildah", "svc", "Dockerfile.ci", "prod", null, List.of("commit")));
        assertEquals("localhost:5000/other", ((PipelineSpec.Target) s.destination()).ref().toString());
        assertEquals(List.of("linux/arm64", "linux/amd64"), s.platforms().stream().map(Object::toString).toList());
        assertEquals(PipelineSpec.Kind.BUILDAH, s.builder().kind());
        assertEquals("svc", s.workDir());
        assertEquals("Dockerfile.ci", s.variants().get(0).dockerfile(), "the variant that took the top-level Dockerfile takes the flag's");
        assertEquals("Dockerfile.v2", s.variants().get(1).dockerfile(), "a variant's own Dockerfile stays");
        assertEquals("prod", s.variants().get(1).target());
        assertEquals(List.of(io.polyarch.tags.TagRule.parse("commit")), s.variants().get(0).tagRules());
        ConfigException twice = assertThrows(ConfigException.class, () -> SpecLoader.parse("p.yaml", "{}", new SpecLoader.Overrides(null,
                List.of("linux/amd64", "linux/amd64"), Map.of(), null, null, null, null, null, List.of())));
        assertTrue(twice.getMessage().startsWith("--platform: platform linux/amd64 is listed twice"), twice.getMessage());
        ConfigException outside = assertThrows(ConfigException.class, () -> SpecLoader.parse("p.yaml", "{}", new SpecLoader.Overrides(null,
                List.of(), Map.of(), null, "../elsewhere", null, null, null, List.of())));
        assertTrue(outside.getMessage().startsWith("--workdir: '../elsewhere' must be a path inside the repository"), outside.getMessage());
    }

    @Test
    void labelsAnnotationsProvenanceAndSigningFromTheFileAndTheFlags() throws Exception {
        String yaml = """
                labels: {org.example.team: payments, org.example.tier: gold}
                annotations: {org.example.build: "{branch}-{commit-short}"}
                provenance: false
                sign: {kms: "awskms:///alias/polyarch-signing"}
                """;
        PipelineSpec file = SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none());
        assertEquals(Map.of("org.example.team", "payments", "org.example.tier", "gold"), file.metadata().labels());
        assertEquals("{branch}-{commit-short}", file.metadata().annotations().get("org.example.build"));
        assertFalse(file.metadata().provenance());
        assertEquals("awskms:///alias/polyarch-signing", file.metadata().sign().kms());
        PipelineSpec flags = SpecLoader.parse("polyarch.yaml", yaml, new SpecLoader.Overrides(null, List.of(), Map.of(), null, null, null, null, null,
                List.of(), Map.of("org.example.tier", "silver"), Map.of("org.opencontainers.image.title", "Shop"), "/keys/cosign.key", List.of()));
        assertEquals(Map.of("org.example.team", "payments", "org.example.tier", "silver"), flags.metadata().labels(), "--label replaces one key");
        assertEquals("Shop", flags.metadata().annotations().get("org.opencontainers.image.title"));
        assertEquals("/keys/cosign.key", flags.metadata().sign().key(), "--sign-key replaces sign:");
        ConfigException both = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "sign: {key: a.key, kms: 'awskms:///alias/x'}\n", SpecLoader.Overrides.none()));
        assertTrue(both.getMessage().contains("exactly one of key"), both.getMessage());
        ConfigException badKms = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "sign: {kms: 'gcpkms://projects/x'}\n", SpecLoader.Overrides.none()));
        assertTrue(badKms.getMessage().startsWith("polyarch.yaml:1"), badKms.getMessage());
        ConfigException badFlag = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", "{}", new SpecLoader.Overrides(null,
                List.of(), Map.of(), null, null, null, null, null, List.of(), Map.of("bad key", "x"), Map.of(), null, List.of())));
        assertTrue(badFlag.getMessage().startsWith("--label: 'bad key' is not a label or annotation key"), badFlag.getMessage());
    }

    static SpecLoader.Overrides alsoTo(String to, String... also) {
        return new SpecLoader.Overrides(to, List.of(), Map.of(), null, null, null, null, null, List.of(), Map.of(), Map.of(), null, List.of(also));
    }

    @Test
    void destinationsListsTheFirstAndTheOthersEachWithItsOwnTagRulesOrTheFirstsTags() throws Exception {
        String yaml = """
                destinations:
                  - ecr: {repoName: shop}
                  - registry: {repository: ghcr.io/acme/shop, tagRules: [stable, "{commit}"]}
                  - registry: {repository: localhost:5000/shop}
                tagRules: [latest, commit-short]
                """;
        PipelineSpec s = SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none());
        assertEquals("shop", ((PipelineSpec.Ecr) s.destination()).repoName(), "the first is where builds push");
        assertEquals(2, s.mirrors().size());
        assertEquals("ghcr.io/acme/shop", ((PipelineSpec.Target) s.mirrors().get(0).destination()).ref().toString());
        assertEquals(List.of(TagRule.parse("stable"), TagRule.parse("{commit}")), s.mirrors().get(0).tagRules());
        assertEquals(List.of(), s.mirrors().get(1).tagRules(), "no rules of its own: the first destination's tags");
        assertEquals(List.of(TagRule.parse("latest"), TagRule.parse("commit-short")), s.tagRules());

        // --to replaces every destination; --also-to adds one; a destination twice is named
        assertEquals(List.of(), SpecLoader.parse("polyarch.yaml", yaml, alsoTo("localhost:5000/other")).mirrors());
        PipelineSpec plus = SpecLoader.parse("polyarch.yaml", yaml, alsoTo(null, "localhost:6000/extra"));
        assertEquals("localhost:6000/extra", ((PipelineSpec.Target) plus.mirrors().get(2).destination()).ref().toString());
        ConfigException twiceFlag = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", yaml, alsoTo(null, "ghcr.io/acme/shop")));
        assertTrue(twiceFlag.getMessage().startsWith("--also-to ghcr.io/acme/shop: already a destination"), twiceFlag.getMessage());

        ConfigException both = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", """
                destination: {registry: {repository: localhost:5000/a}}
                destinations: [{registry: {repository: localhost:5000/b}}]
                """, SpecLoader.Overrides.none()));
        assertTrue(both.getMessage().startsWith("polyarch.yaml:2") && both.getMessage().contains("both 'destination' and 'destinations'"), both.getMessage());
        ConfigException empty = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", "destinations: []\n", SpecLoader.Overrides.none()));
        assertTrue(empty.getMessage().contains("destinations: empty") || empty.getMessage().contains("empty;"), empty.getMessage());
        ConfigException dup = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", """
                destinations:
                  - registry: {repository: localhost:5000/a}
                  - registry: {repository: localhost:5000/a, tagRules: [x]}
                """, SpecLoader.Overrides.none()));
        assertTrue(dup.getMessage().startsWith("polyarch.yaml:3") && dup.getMessage().contains("list each once"), dup.getMessage());
        ConfigException notAMap = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", "destinations: [localhost:5000/a]\n",
                SpecLoader.Overrides.none()));
        assertTrue(notAMap.getMessage().contains("a destination is a mapping"), notAMap.getMessage());
        ConfigException typo = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destinations: [{registry: {repository: localhost:5000/a}}, {regsitry: {repository: localhost:5000/b}}]\n", SpecLoader.Overrides.none()));
        assertTrue(typo.getMessage().contains("regsitry") && typo.getMessage().contains("registry"), typo.getMessage());
    }

    @Test
    void aRegistryDestinationTakesASecretsManagerArnForItsCredentials() throws Exception {
        String arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:ghcr-push-AbCdEf";
        PipelineSpec s = SpecLoader.parse("polyarch.yaml", """
                destinations:
                  - ecr: {repoName: shop}
                  - registry: {repository: ghcr.io/acme/shop, credentialsSecret: %s}
                """.formatted(arn), SpecLoader.Overrides.none());
        assertEquals(arn, ((PipelineSpec.Target) s.mirrors().get(0).destination()).credentialsSecret());
        assertEquals(null, ((PipelineSpec.Target) SpecLoader.parse("polyarch.yaml", "destination: {registry: {repository: ghcr.io/a/b}}\n",
                SpecLoader.Overrides.none()).destination()).credentialsSecret());

        ConfigException notArn = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destination: {registry: {repository: ghcr.io/a/b, credentialsSecret: ghcr-push}}\n", SpecLoader.Overrides.none()));
        assertTrue(notArn.getMessage().startsWith("polyarch.yaml:1") && notArn.getMessage().contains("'ghcr-push' is not a Secrets Manager secret ARN")
                && notArn.getMessage().contains("arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"), notArn.getMessage());
        ConfigException layout = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destination: {registry: {repository: 'oci:/tmp/out', credentialsSecret: " + arn + "}}\n", SpecLoader.Overrides.none()));
        assertTrue(layout.getMessage().contains("an OCI layout, which takes no credentials"), layout.getMessage());
    }

    @Test
    void ecrLifecycleTakesTrueOrItsRetentionAndNamesATypo() throws Exception {
        PipelineSpec on = SpecLoader.parse("polyarch.yaml", "destination: {ecr: {repoName: shop, lifecycle: true}}\n", SpecLoader.Overrides.none());
        assertEquals(PipelineSpec.Lifecycle.DEFAULT, ((PipelineSpec.Ecr) on.destination()).lifecycle());
        PipelineSpec off = SpecLoader.parse("polyarch.yaml", "destination: {ecr: {repoName: shop}}\n", SpecLoader.Overrides.none());
        assertEquals(null, ((PipelineSpec.Ecr) off.destination()).lifecycle(), "no lifecycle policy unless asked for");
        PipelineSpec set = SpecLoader.parse("polyarch.yaml", "destination: {ecr: {repoName: shop, lifecycle: {untaggedDays: 3}}}\n",
                SpecLoader.Overrides.none());
        assertEquals(new PipelineSpec.Lifecycle(3, 50), ((PipelineSpec.Ecr) set.destination()).lifecycle());
        ConfigException typo = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destination: {ecr: {repoName: shop, lifecycle: {untagedDays: 3}}}\n", SpecLoader.Overrides.none()));
        assertTrue(typo.getMessage().startsWith("polyarch.yaml:1") && typo.getMessage().contains("untaggedDays"), typo.getMessage());
        ConfigException negative = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destination: {ecr: {repoName: shop, lifecycle: {unpublishedBuilds: -1}}}\n", SpecLoader.Overrides.none()));
        assertTrue(negative.getMessage().contains("unpublishedBuilds"), negative.getMessage());
    }

    @Test
    void buildOptionsNameWhereSecretsComeFromNeverTheSecrets() throws Exception {
        PipelineSpec s = SpecLoader.parse("polyarch.yaml", """
                build:
                  network: none
                  secrets: {npm: {env: NPM_TOKEN}, netrc: {src: /run/secrets/netrc}}
                  ssh: [default]
                """, SpecLoader.Overrides.none());
        assertEquals("none", s.buildOptions().network());
        assertEquals(new PipelineSpec.SecretRef(null, "NPM_TOKEN"), s.buildOptions().secrets().get("npm"));
        assertEquals(new PipelineSpec.SecretRef("/run/secrets/netrc", null), s.buildOptions().secrets().get("netrc"));
        assertEquals(List.of("default"), s.buildOptions().ssh());
        ConfigException inline = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "build: {secrets: {npm: hunter2}}\n", SpecLoader.Overrides.none()));
        assertTrue(inline.getMessage().contains("never the secret itself") && !inline.getMessage().contains("hunter2"), inline.getMessage());
        ConfigException net = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", "build: {network: bridge}\n",
                SpecLoader.Overrides.none()));
        assertTrue(net.getMessage().startsWith("polyarch.yaml:1"), net.getMessage());
    }

    @Test
    void hostileConfigsAreRefusedWithThePlaceNamed() {
        // an alias would otherwise become its anchor's name: a tag 's' published
        ConfigException alias = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "destination: {registry: {repository: r.example/app}}\ntagRules: [{literal: &s stable}, {literal: *s}]\n", SpecLoader.Overrides.none()));
        assertTrue(alias.getMessage().startsWith("polyarch.yaml:2:") && alias.getMessage().contains("YAML alias '*s'"), alias.getMessage());
        // ten axes of ten values: 10^10 variants, refused at the axis that crosses the limit, without building them
        StringBuilder m = new StringBuilder("matrix:\n");
        for (int a = 0; a < 10; a++) m.append("  A").append(a).append(": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
        ConfigException big = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml", m.toString(), SpecLoader.Overrides.none()));
        assertTrue(big.getMessage().contains("more than 256 variants") && big.getMessage().contains("matrix.A2"), big.getMessage());
        // one 2 MB line
        ConfigException huge = assertThrows(ConfigException.class, () -> SpecLoader.parse("polyarch.yaml",
                "pipelineName: " + "x".repeat(2 << 20) + "\n", SpecLoader.Overrides.none()));
        assertTrue(huge.getMessage().contains("at most 1048576 bytes"), huge.getMessage());
    }

    @Test
    void unknownKeyNamesFileLineAndSuggestsTheClosest() {
        String e = error("""
                destination:
                  ecr:
                    repoName: app
                    tagRule: [latest]
                """);
        assertTrue(e.startsWith("polyarch.yaml:4:5: destination.ecr.tagRule: unknown key 'tagRule'; did you mean 'tagRules'?"), e);
        assertTrue(error("platfroms: [linux/amd64]\n").contains("did you mean 'platforms'?"));
        assertTrue(error("wrkDir: x\n").contains("did you mean 'workDir'?"));
    }

    @Test
    void valueErrorsNameTheField() {
        assertTrue(error("platforms: [linux/amd64, linux/sparc]\n").startsWith("polyarch.yaml:1:26: platforms[1]: unknown architecture 'sparc'"),
                error("platforms: [linux/amd64, linux/sparc]\n"));
        assertTrue(error("platforms: [linux/amd64, linux/x86_64]\n").contains("listed twice"));
        assertTrue(error("destination:\n  ecr:\n    repoName: App_\n").contains("not a valid ECR repository name"));
        assertTrue(error("destination:\n  ecr:\n    repoName: app\n    exists: maybe\n").contains("destination.ecr.exists: expected true or false"));
        assertTrue(error("destination:\n  registry:\n    repository: localhost:5000/app:v1\n").contains("names a tag or digest"));
        assertTrue(error("tagRules: [latest, comit]\n").contains("polyarch.yaml:1:20: tagRules[1]: unknown tag rule 'comit'; did you mean 'commit'?"),
                error("tagRules: [latest, comit]\n"));
        assertTrue(error("workDir: ../elsewhere\n").contains("inside the repository"));
        assertTrue(error("builder: podman\n").contains("expected auto, docker or buildah"));
        assertTrue(error("builder:\n  endpoints:\n    linux/arm64: graviton\n").contains("not a Docker endpoint"));
        assertTrue(error("platforms: linux/amd64\n").contains("platforms: expected a list"));
        assertTrue(error("a: [\n").contains("invalid YAML"));
        assertTrue(error("pipelineName: a\npipelineName: b\n").contains("appears twice"));
        assertTrue(error("destination:\n  ecr: {repoName: a}\n  registry: {repository: localhost:5000/a}\n").contains("both 'ecr' and 'registry'"));
    }

    @Test
    void testStageForms() throws Exception {
        assertEquals(List.of("make check"), parse("test: make check\n").test().commands());
        var t = parse("test: {commands: [a, b], timeout: 30}\nfastFail: true\n");
        assertEquals(List.of("a", "b"), t.test().commands());
        assertEquals(java.time.Duration.ofSeconds(30), t.test().timeout());
        assertTrue(t.fastFail());
        assertEquals(null, parse("platforms: [linux/amd64]\n").test());
        assertTrue(error("test: {comands: [a]}\n").contains("did you mean 'commands'?"));
        assertTrue(error("test: {commands: [a], timeout: 0}\n").contains("test.timeout: expected a whole number from 1"));
        assertTrue(error("fastFail: sometimes\n").contains("fastFail: expected true or false"));
    }

    @Test
    void matrixAxesWithExcludeAndInclude() throws Exception {
        var s = parse("""
                tagRules: ["{PY}-{OS}"]
                matrix:
                  PY: ["3.11", "3.12"]
                  OS: [slim, full]
                  exclude:
                    - {PY: "3.11", OS: full}
                  include:
                    - {PY: "3.13", OS: slim, dockerfile: Dockerfile.313, tagRules: [latest, "3.13"]}
                """);
        assertEquals(List.of("PY=3.11,OS=slim", "PY=3.12,OS=slim", "PY=3.12,OS=full", "PY=3.13,OS=slim"),
                s.variants().stream().map(PipelineSpec.Variant::name).toList());
        var last = s.variants().get(3);
        assertEquals("Dockerfile.313", last.dockerfile());
        assertEquals(List.of("latest", "3.13"), last.tagRules().stream().map(r -> r.text()).toList());
        assertEquals(Map.of("PY", "3.12", "OS", "full"), s.variants().get(2).vars());
        assertTrue(s.hasMatrix());
        assertFalse(parse("platforms: [linux/amd64]\n").hasMatrix());
    }

    @Test
    void matrixAsAListOfVariants() throws Exception {
        var s = parse("matrix:\n  - {name: old, VERSION: \"1\", target: legacy}\n  - {VERSION: \"2\"}\n");
        assertEquals(List.of("old", "VERSION=2"), s.variants().stream().map(PipelineSpec.Variant::name).toList());
        assertEquals("legacy", s.variants().get(0).target());
    }

    @Test
    void matrixErrors() {
        assertTrue(error("matrix:\n  PY: []\n").contains("a matrix axis is a non-empty list"));
        assertTrue(error("matrix:\n  PY: [a]\n  exclude: [{PY: b}]\n").contains("matches no combination"));
        assertTrue(error("matrix:\n  - {VERSION: \"1\", dockerfiel: x}\n").contains("did you mean 'dockerfile'?"));
        assertTrue(error("matrix:\n  - {VERSION: \"1\"}\n  - {VERSION: \"1\"}\n").contains("appears twice"));
        assertTrue(error("matrix: [a]\n").contains("a matrix variant is a mapping"));
    }

    @Test
    void literalTagsAndTemplates() throws Exception {
        PipelineSpec s = parse("tagRules: [{literal: stable}, \"{branch}-{commit-short}\", {type: semver}]\n");
        assertEquals(List.of("stable", "{branch}-{commit-short}", "semver"), s.tagRules().stream().map(r -> r.text()).toList());
    }

    @Test
    void missingFileIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        var e = assertThrows(ConfigException.class, () -> SpecLoader.load(dir.resolve("nope.yaml"), SpecLoader.Overrides.none()));
        assertTrue(e.getMessage().contains("nope.yaml: no such config file"), e.getMessage());
    }

    @Test
    void sociBlock() throws Exception {
        String dest = "destination: {registry: {repository: localhost:5000/app}}\n";
        assertEquals(null, parse(dest).soci());
        PipelineSpec.SociSpec on = parse(dest + "soci: true\n").soci();
        assertEquals(new PipelineSpec.SociSpec("v2", 4L << 20, 10L << 20), on);
        assertEquals(null, parse(dest + "soci: {enabled: false}\n").soci());
        assertEquals(new PipelineSpec.SociSpec("v1", 1 << 20, 512 << 10), parse(dest + "soci: {format: V1, spanSize: 1MiB, minLayerSize: 512k}\n").soci());
        assertEquals(new PipelineSpec.SociSpec("v2", 8388608, 10L << 20), parse(dest + "soci: {spanSize: 8388608}\n").soci());
        assertTrue(error(dest + "soci: {format: v3}\n").contains("polyarch.yaml:2:16: soci.format 'v3': expected v2"), error(dest + "soci: {format: v3}\n"));
        assertTrue(error(dest + "soci: {spanSize: 4 parsecs}\n").contains("soci.spanSize: '4 parsecs': expected bytes or a size like 4MiB"));
        assertTrue(error(dest + "soci: {spanSize: 1KiB}\n").contains("at least 64KiB"));
        assertTrue(error(dest + "soci: {minLayersize: 1}\n").contains("did you mean 'minLayerSize'"), error(dest + "soci: {minLayersize: 1}\n"));
        assertTrue(error(dest + "soci: yes please\n").contains("soci: expected true, false or a mapping"));
    }
}
