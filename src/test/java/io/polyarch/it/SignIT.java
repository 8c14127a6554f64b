package io.polyarch.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.testing.Cli;
import io.polyarch.testing.CosignKeys;
import io.polyarch.testing.Engine;
import io.polyarch.testing.FakeAws;
import io.polyarch.testing.FaultProxy;
import io.polyarch.testing.GitRepo;
import io.polyarch.testing.TestImages;
import io.polyarch.testing.TestRegistry;
import io.polyarch.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Annotations, SLSA provenance and cosign signatures of a real {@code polyarch run} (Docker 20.10, QEMU for arm64,
 * a real registry), checked by cosign 2.5.0 itself with its defaults: {@code cosign verify} of the index and of
 * each child, {@code cosign verify-attestation --type slsaprovenance1} of each child; and by {@code polyarch verify}.
 * Then what must fail does: a wrong password, a missing key, a registry that refuses the signature.
 */
class SignIT {
    static final String PASSWORD = "correct horse battery staple";
    static TestRegistry reg;
    static String base;
    static Path keys;
    static CosignKeys cosignKeys;

    @BeforeAll
    static void start() throws Exception {
        reg = TestRegistry.plain();
        base = TestImages.publishBase(reg);
        cosignKeys = CosignKeys.generate(PASSWORD);
        keys = cosignKeys.dir();
    }

    @AfterAll
    static void stop() {
        reg.close();
    }

    static Tools.Result cosign(String... args) {
        return cosignKeys.run(args);
    }

    static Tools.Result verify(String pub, String ref) {
        return cosignKeys.verify(pub, ref);
    }

    static Tools.Result verifyAttestation(String pub, String ref) {
        return cosignKeys.verifyAttestation(pub, ref);
    }

    static GitRepo app(Path dir, String repo, String extra) {
        GitRepo g = GitRepo.init(dir).write("Dockerfile", RunIT.APP_DOCKERFILE).write("polyarch.yaml", """
                pipelineName: shop
                destination: {registry: {repository: %s, tagRules: [latest, commit-short]}}
                buildArgs: {BASE: %s, API_TOKEN: hunter2-not-for-provenance}
                labels: {org.example.team: payments}
                %s
                """.formatted(repo, base, extra));
        g.git("remote", "add", "origin", "https://ci-bot:ghp_SECRETTOKEN@github.com/acme/shop.git");
        return g;
    }

    static JsonNode raw(String ref) throws Exception {
        return OciJson.mapper().readTree(Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + ref)).requireOk("skopeo " + ref).out());
    }

    @Test
    void everythingIsSignedAndAttestedBeforeTheTagsAndCosignAgrees(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/signed/shop";
        GitRepo g = app(tmp.resolve("src"), repo, "sign: {key: " + keys.resolve("cosign.key") + "}").write(".dockerignore", ".git\nNOTES.txt\n");
        String sha = g.commit("first");
        Path json = tmp.resolve("run.json");
        var r = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse((r.out() + r.err()).contains(PASSWORD) || (r.out() + r.err()).contains("SECRETTOKEN") || (r.out() + r.err()).contains("hunter2"),
                "no secret in the output");
        JsonNode summary = OciJson.mapper().readTree(Files.readAllBytes(json));
        String index = summary.path("index").path("digest").asText();
        String pub = keys.resolve("cosign.pub").toString();

        // the annotations, as metadata-action sets them, on the index and on each image; the labels in each config
        JsonNode idx = raw(repo + "@" + index);
        assertEquals(sha, idx.path("annotations").path("org.opencontainers.image.revision").asText());
        assertEquals("https://github.com/acme/shop", idx.path("annotations").path("org.opencontainers.image.source").asText(), "credentials removed");
        assertEquals("shop", idx.path("annotations").path("org.opencontainers.image.title").asText());
        assertEquals(g.git("log", "-1", "--format=%cI").strip(), idx.path("annotations").path("org.opencontainers.image.created").asText());

        var v = verify(pub, repo + "@" + index);
        assertEquals(0, v.code(), "cosign verify of the index: " + v);
        for (JsonNode img : summary.path("images")) {
            String child = repo + "@" + img.path("digest").asText();
            assertEquals(sha, raw(child).path("annotations").path("org.opencontainers.image.revision").asText());
            var cfg = Tools.run(List.of("skopeo", "inspect", "--tls-verify=false", "--config", "docker://" + child)).requireOk("config").out();
            assertTrue(cfg.contains("\"org.example.team\": \"payments\"") || cfg.contains("\"org.example.team\":\"payments\""), cfg);
            assertEquals(0, verify(pub, child).code(), "cosign verify of " + child + ": " + verify(pub, child));
            var att = verifyAttestation(pub, child);
            assertEquals(0, att.code(), "cosign verify-attestation of " + child + ": " + att);
            JsonNode envelope = OciJson.mapper().readTree(att.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            JsonNode statement = OciJson.mapper().readTree(Base64.getDecoder().decode(envelope.path("payload").asText()));
            assertEquals("https://slsa.dev/provenance/v1", statement.path("predicateType").asText());
            assertEquals(img.path("digest").asText(), "sha256:" + statement.path("subject").path(0).path("digest").path("sha256").asText());
            JsonNode def = statement.path("predicate").path("buildDefinition");
            assertEquals(img.path("platform").asText(), def.path("externalParameters").path("platform").asText());
            assertEquals(sha, def.path("externalParameters").path("commit").asText());
            assertFalse(statement.toString().contains("hunter2"), "a build arg named like a secret is not recorded");
            assertEquals("git+https://github.com/acme/shop@" + sha, def.path("resolvedDependencies").path(0).path("uri").asText());
            assertTrue(def.path("resolvedDependencies").toString().contains("pkg:docker/" + reg.host() + "/base"), def.toString());
        }
        // the index lists images only: no attestation entries
        for (JsonNode m : idx.path("manifests")) assertFalse(m.path("platform").path("os").asText().equals("unknown"), idx.toString());

        // polyarch's own verify: signatures, provenance, and the base each image's layers start with
        var pv = Cli.run("verify", repo + ":latest", "--key", pub, "--json");
        assertEquals(0, pv.code(), pv.toString());
        JsonNode res = OciJson.mapper().readTree(pv.out());
        assertTrue(res.path("ok").asBoolean());
        for (JsonNode c : res.path("result").path("children")) assertTrue(c.path("base").asText().startsWith(reg.host() + "/base@sha256:"), pv.out());

        // another key's public half verifies nothing: exit 1, naming what fails
        Tools.run(List.of(Engine.cosign(), "generate-key-pair", "--output-key-prefix", "other"), keys, Map.of("COSIGN_PASSWORD", ""), 120).requireOk("other key");
        var wrong = Cli.run("verify", repo + ":latest", "--key", keys.resolve("other.pub").toString());
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("no signature of this key"), wrong.toString());

        // a second run after a commit that changes nothing the build sees: images reused; only the new index is signed
        g.write("NOTES.txt", "x").commit("notes");
        var again = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--json", json.toString());
        assertEquals(0, again.code(), again.toString());
        JsonNode s2 = OciJson.mapper().readTree(Files.readAllBytes(json));
        for (JsonNode img : s2.path("images")) assertEquals("reused", img.path("state").asText(), again.err());
        assertEquals(0, verify(pub, repo + ":latest").code());
        assertEquals(List.of("signed " + repo + "@" + s2.path("index").path("digest").asText()), notesStartingWith(s2, "signed "),
                "the reused images keep their signatures; the new index is signed");
    }

    static List<String> notesStartingWith(JsonNode summary, String prefix) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : summary.path("notes")) if (n.asText().startsWith(prefix)) out.add(n.asText().replaceFirst(" with .*$", ""));
        return out;
    }

    @Test
    void anUnencryptedPkcs8KeySignsForCosignToo(@TempDir Path tmp) throws Exception {
        Path key = tmp.resolve("ec.pem");
        Path pub = tmp.resolve("ec.pub");
        Tools.run(List.of("sh", "-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out " + key
                + " && openssl ec -in " + key + " -pubout -out " + pub), tmp, Map.of(), 60).requireOk("openssl");
        String repo = reg.host() + "/signed/pkcs8";
        GitRepo g = app(tmp.resolve("src"), repo, "");
        g.commit("first");
        var r = Cli.run("run", "--source", g.dir().toString(), "--sign-key", key.toString(), "--platform", "linux/amd64");
        assertEquals(0, r.code(), r.toString());
        assertEquals(0, verify(pub.toString(), repo + ":latest").code(), verify(pub.toString(), repo + ":latest").toString());
    }

    @Test
    void aKeyThatDoesNotOpenOrARegistryThatRefusesMovesNoTag(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/signed/refused";
        GitRepo g = app(tmp.resolve("src"), repo, "sign: {key: " + keys.resolve("cosign.key") + "}");
        g.commit("first");
        var wrong = Cli.run(Map.of("COSIGN_PASSWORD", "not it"), "run", "--source", g.dir().toString());
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("wrong password"), wrong.toString());
        assertFalse((wrong.out() + wrong.err()).contains("not it"), "the password is never printed");
        var none = Cli.run(Map.of(), "run", "--source", g.dir().toString(), "--sign-key", tmp.resolve("missing.key").toString());
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("missing.key: no such key file"), none.toString());
        assertFalse(RunIT.tagExists(repo + ":latest"), "nothing was published");

        // a registry that takes the images but refuses the signature: exit 1, no tag moved
        try (FaultProxy proxy = new FaultProxy("127.0.0.1", reg.port(), 0)) {
            proxy.refuse("PUT", ".sig");
            String viaProxy = proxy.host() + "/signed/refused";
            var refused = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--to", viaProxy,
                    "--build-arg", "BASE=" + base.replace(reg.host(), proxy.host()));
            assertEquals(1, refused.code(), refused.toString());
            assertTrue((refused.out() + refused.err()).contains(".sig"), refused.toString());
            assertFalse(RunIT.tagExists(repo + ":latest"), "no tag moved");
            assertFalse((refused.out() + refused.err()).contains(PASSWORD));
        }
    }

    @Test
    void anAwsKmsKeySignsWhatCosignVerifiesAndADeniedSignMovesNoTag(@TempDir Path tmp) throws Exception {
        try (FakeAws aws = new FakeAws(true, reg.host())) {
            String repo = reg.host() + "/signed/kms";
            GitRepo g = app(tmp.resolve("src"), repo, "sign: {kms: 'awskms:///alias/polyarch-signing'}");
            g.commit("first");
            var r = Cli.run(aws.env(), "run", "--source", g.dir().toString(), "--platform", "linux/amd64");
            assertEquals(0, r.code(), r.toString());
            assertTrue(aws.ops.contains("GetPublicKey") && aws.ops.contains("Sign"), aws.ops.toString());
            assertFalse((r.out() + r.err()).contains(FakeAws.SECRET_KEY), "no AWS secret in the output");
            Path pub = tmp.resolve("kms.pub");
            Files.writeString(pub, aws.kmsPublicPem());
            var v = verify(pub.toString(), repo + ":latest");
            assertEquals(0, v.code(), v.toString());
            var pv = Cli.run(aws.env(), "verify", repo + ":latest", "--kms", "awskms:///alias/polyarch-signing");
            assertEquals(0, pv.code(), pv.toString());

            String before = raw(repo + ":latest").toString();
            aws.kmsDenied = true;
            g.write("CHANGELOG.md", "2\n").commit("two");
            var denied = Cli.run(aws.env(), "run", "--source", g.dir().toString(), "--platform", "linux/amd64");
            assertEquals(1, denied.code(), denied.toString());
            assertTrue((denied.out() + denied.err()).contains("kms:Sign"), denied.toString());
            assertEquals(before, raw(repo + ":latest").toString(), "latest did not move");
        }
    }

    @Test
    void withSociV2TheAnnotatedImagesTheIndexListsAreTheOnesSignedAndAttested(@TempDir Path tmp) throws Exception {
        String repo = reg.host() + "/signed/soci";
        GitRepo g = app(tmp.resolve("src"), repo, "sign: {key: " + keys.resolve("cosign.key") + "}\nsoci: {minLayerSize: 1KiB, spanSize: 64KiB}");
        g.commit("first");
        Path json = tmp.resolve("run.json");
        var r = Cli.run(Map.of("COSIGN_PASSWORD", PASSWORD), "run", "--source", g.dir().toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        JsonNode idx = raw(repo + ":latest");
        String pub = keys.resolve("cosign.pub").toString();
        int images = 0;
        for (JsonNode m : idx.path("manifests")) {
            if (m.has("artifactType")) continue; // the SOCI indexes listed beside the images
            assertTrue(raw(repo + "@" + m.path("digest").asText()).path("annotations").has("com.amazon.soci.index-digest"), "the annotated image");
            images++;
            String child = repo + "@" + m.path("digest").asText();
            assertEquals(0, verify(pub, child).code(), "the annotated image is signed: " + verify(pub, child));
            assertEquals(0, verifyAttestation(pub, child).code(), "and attested: " + verifyAttestation(pub, child));
        }
        assertEquals(2, images, idx.toString());
        var pv = Cli.run("verify", repo + ":latest", "--key", pub);
        assertEquals(0, pv.code(), pv.toString());
    }
}
