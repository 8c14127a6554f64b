package io.polyarch.pipeline.run;

import io.polyarch.git.GitSource;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.ops.Images;
import io.polyarch.ops.Stores;
import io.polyarch.pipeline.plan.JobKind;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.pipeline.plan.PlanBuilder;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole run driven through {@link LocalExecutor} with a {@link FakeBuilder} and no engine, registry or network:
 * destinations are OCI layouts (registry repositories kept as layout directories by {@link LayoutStores}). What is
 * checked is what a user would check afterwards: which tags name what in the destination.
 */
class LocalExecutorTest {
    static final String COMMIT = "3f2a9c1e5b7d4f60a1b2c3d4e5f60718293a4b5c";

    @TempDir
    Path dir;
    Path repo;
    FakeBuilder builder;
    List<String> states;

    @BeforeEach
    void repo() throws Exception {
        repo = Files.createDirectories(dir.resolve("repo"));
        Files.writeString(repo.resolve("Dockerfile"), "FROM scratch\nCOPY . /app\n");
        Files.writeString(repo.resolve("main.c"), "int main() { return 0; }\n");
        builder = new FakeBuilder();
        states = new CopyOnWriteArrayList<>();
    }

    /** Registry repositories as layout directories under {@code root/HOST/PATH}; layouts as themselves. */
    record LayoutStores(Path root) implements Stores {
        @Override
        public ContentStore open(StoreRef ref, boolean write) throws StoreException {
            return switch (ref) {
                case StoreRef.Registry r -> OciLayoutStore.open(root.resolve(r.reference().registry().replace(':', '_')).resolve(r.reference().repository()), true);
                case StoreRef.Layout l -> OciLayoutStore.open(l.dir(), write);
            };
        }

        @Override
        public boolean plainHttp(String registry) {
            return true;
        }

        @Override
        public void close() {
        }
    }

    /** Runs with these stores instead of {@link LayoutStores} when set. */
    Stores storesOverride;
    /** Runs this checkout instead of COMMIT on main when set. */
    GitSource.Checkout checkoutOverride;

    private RunReport run(String yaml, boolean publish, boolean reuseOnly) throws Exception {
        PipelineSpec spec = SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none());
        GitSource.Checkout src = checkoutOverride != null ? checkoutOverride : new GitSource.Checkout(repo, COMMIT, "main", List.of(), false, null);
        Plan plan = PlanBuilder.build(spec, src, publish);
        RunOptions opts = new RunOptions(Map.of(), dir.resolve("binfmt"), dir.resolve("tmp"), 2, false, publish, reuseOnly);
        RunListener listener = new RunListener() {
            @Override
            public void state(String cell, String state) {
                states.add(cell + " " + state);
            }

            @Override
            public void log(String cell, String line) {
            }

            @Override
            public void note(String message) {
            }
        };
        Engines.Factory engines = s -> new Engines() {
            @Override
            public io.polyarch.build.Builder forPlatform(Platform p) {
                return builder;
            }

            @Override
            public void close() {
            }
        };
        Stores stores = storesOverride != null ? storesOverride : new LayoutStores(dir.resolve("registries"));
        return new LocalExecutor(stores, opts, listener, engines, Platform.LINUX_AMD64).execute(plan, spec, src);
    }

    private static String layoutDest(Path out) {
        return "destination: {registry: {repository: 'oci:" + out + "'}}\n";
    }

    @Test
    void publishesOneIndexWhoseChildrenAreEachPlatformsImage() throws Exception {
        Path out = dir.resolve("out");
        RunReport r = run(layoutDest(out), true, false);
        assertTrue(r.ok(), r.failure());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            RawManifest top = layout.getManifest("latest").orElseThrow();
            assertEquals(r.index().digest(), top.digest());
            assertEquals(top.digest(), layout.getManifest(COMMIT.substring(0, 8)).orElseThrow().digest(), "every tag names the same index");
            ImageIndex idx = (ImageIndex) top.parse();
            assertEquals(List.of("linux/amd64", "linux/arm64"), idx.manifests().stream().map(d -> d.platform().toString()).toList());
            for (Descriptor child : idx.manifests()) {
                ImageManifest im = (ImageManifest) layout.getManifest(child.digest().toString()).orElseThrow().parse();
                assertTrue(Images.config(layout, im).platform().matches(child.platform()), "the config says the platform the index lists it under");
                String arch = child.platform().architecture();
                assertEquals(child.digest(), layout.getManifest("latest-" + arch).orElseThrow().digest(), "arch tag names the child");
            }
        }
        assertEquals(2, builder.builds.get());
        assertTrue(states.contains("linux/arm64 pushed"), states.toString());
    }

    @Test
    void aSecondDestinationGetsTheSameIndexAndItsOwnTagsAndAFailedRunTagsNeither() throws Exception {
        Path out = dir.resolve("out");
        Path mirror = dir.resolve("mirror");
        String yaml = "destinations:\n  - registry: {repository: 'oci:" + out + "'}\n  - registry: {repository: 'oci:" + mirror
                + "', tagRules: [stable]}\n";
        RunReport r = run(yaml, true, false);
        assertTrue(r.ok(), r.failure());
        try (OciLayoutStore one = OciLayoutStore.open(out, false); OciLayoutStore two = OciLayoutStore.open(mirror, false)) {
            RawManifest index = one.getManifest("latest").orElseThrow();
            assertEquals(index.digest(), two.getManifest("stable").orElseThrow().digest(), "the same index under the second one's own tag");
            assertTrue(two.getManifest("latest").isEmpty(), "its own tag rules only");
            for (Descriptor child : ((ImageIndex) index.parse()).manifests()) {
                RawManifest img = two.getManifest(child.digest().toString()).orElseThrow();
                for (Descriptor blob : ((ImageManifest) img.parse()).blobs()) assertTrue(two.statBlob(blob.digest()).isPresent(), "blob " + blob.digest());
                assertEquals(child.digest(), two.getManifest("stable-" + child.platform().architecture()).orElseThrow().digest(), "arch tags there too");
            }
        }
        assertEquals(List.of("stable"), r.mirrors().get(0).tagsWritten());

        // a later run whose arm64 build fails moves nothing in either
        builder.failing.add(Platform.LINUX_ARM64);
        Files.writeString(repo.resolve("main.c"), "int main() { return 1; }\n");
        RunReport failed = run(yaml, true, false);
        assertFalse(failed.ok());
        try (OciLayoutStore one = OciLayoutStore.open(out, false); OciLayoutStore two = OciLayoutStore.open(mirror, false)) {
            assertEquals(r.index().digest(), one.getManifest("latest").orElseThrow().digest());
            assertEquals(r.index().digest(), two.getManifest("stable").orElseThrow().digest());
        }
    }

    /** A store that refuses every index (a registry that takes images but no manifest lists), and otherwise is {@code inner}. */
    record RefusingIndexes(ContentStore inner) implements ContentStore {
        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public Optional<Descriptor> statBlob(io.polyarch.oci.Digest d) throws StoreException {
            return inner.statBlob(d);
        }

        @Override
        public java.io.InputStream openBlob(Descriptor d) throws StoreException {
            return inner.openBlob(d);
        }

        @Override
        public void putBlob(Descriptor d, BlobSource source) throws StoreException {
            inner.putBlob(d, source);
        }

        @Override
        public Optional<RawManifest> getManifest(String ref) throws StoreException {
            return inner.getManifest(ref);
        }

        @Override
        public Optional<Descriptor> headManifest(String ref) throws StoreException {
            return inner.headManifest(ref);
        }

        @Override
        public void putManifest(RawManifest m, String tag) throws StoreException {
            if (m.mediaType().isIndex()) throw new StoreException("push " + m.digest(), "HTTP 400 MANIFEST_INVALID: manifest lists are not accepted here");
            inner.putManifest(m, tag);
        }

        @Override
        public void deleteManifest(String ref) throws StoreException {
            inner.deleteManifest(ref);
        }

        @Override
        public List<String> listTags() throws StoreException {
            return inner.listTags();
        }

        @Override
        public List<Descriptor> referrers(io.polyarch.oci.Digest subject) throws StoreException {
            return inner.referrers(subject);
        }
    }

    @Test
    void aSecondDestinationThatRefusesTheIndexMovesNoTagInTheFirst() throws Exception {
        Path out = dir.resolve("out");
        Path mirror = dir.resolve("mirror");
        LayoutStores layouts = new LayoutStores(dir.resolve("registries"));
        storesOverride = new Stores() {
            @Override
            public ContentStore open(StoreRef ref, boolean write) throws StoreException {
                ContentStore s = layouts.open(ref, write);
                return ref instanceof StoreRef.Layout l && l.dir().equals(mirror) ? new RefusingIndexes(s) : s;
            }

            @Override
            public boolean plainHttp(String registry) {
                return true;
            }

            @Override
            public void close() {
            }
        };
        RunReport r = run("destinations:\n  - registry: {repository: 'oci:" + out + "'}\n  - registry: {repository: 'oci:" + mirror + "'}\n", true, false);
        assertFalse(r.ok());
        assertTrue(r.failure().contains("manifest lists are not accepted here") && r.failure().contains("no tag was moved anywhere"), r.failure());
        try (OciLayoutStore one = OciLayoutStore.open(out, false)) {
            assertTrue(one.getManifest("latest").isEmpty(), "the first destination's tags wait for every destination: " + one.listTags());
            assertTrue(one.getManifest("latest-arm64").isEmpty());
        }
    }

    @Test
    void aFailedPlatformPublishesNoIndexAndSaysWhy() throws Exception {
        Path out = dir.resolve("out");
        builder.failing.add(Platform.LINUX_ARM64);
        RunReport r = run(layoutDest(out), true, false);
        assertFalse(r.ok());
        assertTrue(r.failure().contains("linux/arm64") && r.failure().contains("simulated failure"), r.failure());
        assertNull(r.index());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            assertTrue(layout.getManifest("latest").isEmpty(), "no index tag");
            assertTrue(layout.getManifest(COMMIT.substring(0, 8)).isEmpty(), "no index tag");
            assertTrue(layout.getManifest("latest-amd64").isEmpty(), "no arch tag either: a failed run moves no tag users pull");
        }
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("no index tag was written or moved")), r.notes().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("pushed, with no index published over them") && n.contains("linux/amd64 (by digest only)")),
                r.notes().toString());
        assertEquals("skipped", r.jobs().stream().filter(j -> j.id().startsWith("publish")).findFirst().orElseThrow().state(),
                "the publish job never ran");
    }

    @Test
    void anImageWhoseConfigSaysAnotherPlatformIsNotPushed() throws Exception {
        Path out = dir.resolve("out");
        builder.claims.put(Platform.LINUX_ARM64, Platform.LINUX_AMD64);
        RunReport r = run(layoutDest(out), true, false);
        assertFalse(r.ok());
        assertTrue(r.failure().contains("produced an image whose config says linux/amd64"), r.failure());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            assertTrue(layout.getManifest("latest").isEmpty());
            assertTrue(layout.getManifest("latest-arm64").isEmpty(), "the wrong image gets no arch tag");
        }
    }

    /** A one-layer base image in the registry "base.test" (a layout directory), FROM-ed by the Dockerfile. */
    private void baseImage() throws Exception {
        byte[] tar = FakeBuilder.tar("etc/base", "base");
        byte[] gz = FakeBuilder.gzip(tar);
        try (OciLayoutStore base = OciLayoutStore.open(dir.resolve("registries/base.test/base"), true)) {
            Descriptor layer = Descriptor.of(io.polyarch.oci.MediaType.OCI_LAYER_GZIP, gz);
            base.putBlob(layer, () -> new java.io.ByteArrayInputStream(gz));
            byte[] cfg = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                    + io.polyarch.oci.Digest.sha256(tar) + "\"]}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Descriptor config = Descriptor.of(io.polyarch.oci.MediaType.OCI_CONFIG, cfg);
            base.putBlob(config, () -> new java.io.ByteArrayInputStream(cfg));
            base.putManifest(RawManifest.of(io.polyarch.oci.MediaType.OCI_MANIFEST, io.polyarch.oci.OciJson.write(
                    new ImageManifest(io.polyarch.oci.MediaType.OCI_MANIFEST, config, List.of(layer), null, null, Map.of()))), "1");
            builder.baseLayer = layer;
            builder.baseDiffId = io.polyarch.oci.Digest.sha256(tar);
        }
        Files.writeString(repo.resolve("Dockerfile"), "FROM base.test/base:1\nCOPY . /app\n");
    }

    /** A run on a base whose arm64 build leaves the base out. */
    private RunReport runOnAnotherBase(Path out) throws Exception {
        baseImage();
        builder.wrongBase.put(Platform.LINUX_ARM64, new java.util.concurrent.atomic.AtomicInteger(1));
        return run(layoutDest(out), true, false);
    }

    @Test
    void anImageTheEngineBuiltOnAnotherBaseIsNotPushed() throws Exception {
        Path out = dir.resolve("out");
        RunReport r = runOnAnotherBase(out);
        assertFalse(r.ok());
        assertTrue(r.failure().contains("linux/arm64 image is not built on the linux/arm64 base base.test/base@sha256:")
                && r.failure().contains("its layer 0 is") && r.failure().contains("not pushed"), r.failure());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            assertTrue(layout.getManifest("latest").isEmpty(), "no index");
            assertTrue(layout.getManifest("latest-arm64").isEmpty(), "no arch tag");
        }
    }

    @Test
    void fastFailCancelsTheOtherPlatformsBuild() throws Exception {
        Path out = dir.resolve("out");
        builder.failing.add(Platform.LINUX_ARM64);
        builder.blocking.add(Platform.LINUX_AMD64);
        RunReport r = run(layoutDest(out) + "fastFail: true\n", true, false);
        assertFalse(r.ok());
        assertTrue(builder.interrupted.contains(Platform.LINUX_AMD64), "the amd64 build was stopped");
        RunReport.ImageReport amd64 = r.images().stream().filter(i -> i.platform().equals(Platform.LINUX_AMD64)).findFirst().orElseThrow();
        assertEquals("cancelled", amd64.state());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            assertTrue(layout.listTags().isEmpty(), "nothing tagged: " + layout.listTags());
        }
    }

    @Test
    void aSecondRunOfTheSameInputsReusesEveryImageByBuildKey() throws Exception {
        String yaml = "destination: {registry: {repository: localhost:5000/team/app}}\n";
        RunReport first = run(yaml, true, false);
        assertTrue(first.ok(), first.failure());
        assertEquals(2, builder.builds.get());
        RunReport second = run(yaml, true, false);
        assertTrue(second.ok(), second.failure());
        assertEquals(2, builder.builds.get(), "nothing built the second time");
        assertTrue(second.images().stream().allMatch(i -> "reused".equals(i.state()) && i.reused().contains("build key")), second.images().toString());
        assertEquals(first.index().digest(), second.index().digest(), "the same index");
        assertEquals(List.of(), second.tagsWritten(), "every tag already in place");

        Files.writeString(repo.resolve("main.c"), "int main() { return 1; }\n");
        RunReport third = run(yaml, true, false);
        assertEquals(4, builder.builds.get(), "a change in the context builds again");
        assertTrue(third.images().stream().allMatch(i -> "pushed".equals(i.state())));
    }

    @Test
    void buildOnlyJobsAndThePublishStepAfterThem() throws Exception {
        String yaml = "destination: {registry: {repository: localhost:5000/team/split}}\n";
        RunReport none = run(yaml, true, true);
        assertFalse(none.ok(), "--reuse-only with nothing pushed yet");
        assertTrue(none.failure().contains("--reuse-only: no image with build key"), none.failure());
        assertEquals(0, builder.builds.get());

        RunReport buildOnly = run(yaml, false, false);
        assertTrue(buildOnly.ok(), buildOnly.failure());
        assertNull(buildOnly.index(), "a build-only run publishes nothing");
        assertTrue(buildOnly.jobs().stream().noneMatch(j -> j.id().startsWith("publish")));
        RunReport publish = run(yaml, true, true);
        assertTrue(publish.ok(), publish.failure());
        assertNotNull(publish.index());
        assertEquals(2, builder.builds.get(), "the publish step built nothing");
    }

    @Test
    void sociIndexesAreMadeOnlyWhenTheRunPublishesAndBeforeTheIndex() throws Exception {
        Path out = dir.resolve("out");
        String yaml = layoutDest(out) + "soci: {format: v2, minLayerSize: 0}\n";
        PipelineSpec spec = SpecLoader.parse("polyarch.yaml", yaml, SpecLoader.Overrides.none());
        GitSource.Checkout src = new GitSource.Checkout(repo, COMMIT, "main", List.of(), false, null);
        assertTrue(PlanBuilder.build(spec, src, false).jobs().stream().noneMatch(j -> j.kind() == JobKind.SOCI || j.kind() == JobKind.PUBLISH),
                "a build-only plan has no SOCI and no publish jobs");
        Plan full = PlanBuilder.build(spec, src, true);
        Plan.Job publish = full.jobs().stream().filter(j -> j.kind() == JobKind.PUBLISH).findFirst().orElseThrow();
        assertEquals(List.of("soci linux/amd64", "soci linux/arm64"), publish.needs().stream().map(Object::toString).toList());

        RunReport r = run(yaml, true, false);
        assertTrue(r.ok(), r.failure());
        try (OciLayoutStore layout = OciLayoutStore.open(out, false)) {
            ImageIndex idx = (ImageIndex) layout.getManifest("latest").orElseThrow().parse();
            for (RunReport.ImageReport i : r.images()) {
                assertNotNull(i.sociIndex(), "SOCI index of " + i.platform());
                Optional<Descriptor> listed = idx.manifests().stream().filter(d -> d.digest().equals(i.sociIndex())).findFirst();
                assertTrue(listed.isPresent(), "the v2 SOCI index is listed in the published index");
                assertTrue(idx.manifests().stream().anyMatch(d -> d.digest().equals(i.digest())), "the annotated image is the one published");
            }
        }
    }

    @Test
    void archTagsFollowTheIndexOfTheSameNameWhenAnotherRunMovesItMeanwhile() throws Exception {
        String yaml = "destination: {registry: {repository: localhost:5000/team/race}}\n";
        RunReport a = run(yaml, true, false);
        assertTrue(a.ok(), a.failure());
        LayoutStores plain = new LayoutStores(dir.resolve("registries"));
        RawManifest indexA;
        try (ContentStore s = plain.open(StoreRef.parse("localhost:5000/team/race"), false)) {
            indexA = s.getManifest("latest").orElseThrow();
        }
        Files.writeString(repo.resolve("main.c"), "int main() { return 2; }\n");
        // run B: the moment it has written latest, another run (A again, finishing last) writes latest back
        storesOverride = new Stores() {
            @Override
            public ContentStore open(StoreRef ref, boolean write) throws StoreException {
                ContentStore real = plain.open(ref, write);
                return (ContentStore) java.lang.reflect.Proxy.newProxyInstance(ContentStore.class.getClassLoader(), new Class<?>[]{ContentStore.class},
                        (proxy, m, args) -> {
                            Object out;
                            try {
                                out = m.invoke(real, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                            if ((m.getName().equals("putManifest") || m.getName().equals("tag")) && args != null && args.length == 2 && "latest".equals(args[1]) && !((RawManifest) args[0]).digest().equals(indexA.digest())) {
                                real.putManifest(indexA, "latest");
                            }
                            return out;
                        });
            }

            @Override
            public boolean plainHttp(String registry) {
                return true;
            }

            @Override
            public void close() {
            }
        };
        RunReport b = run(yaml, true, false);
        assertTrue(b.ok(), b.failure());
        try (ContentStore s = plain.open(StoreRef.parse("localhost:5000/team/race"), false)) {
            assertEquals(indexA.digest(), s.getManifest("latest").orElseThrow().digest(), "the other run wrote latest last");
            ImageIndex now = (ImageIndex) s.getManifest("latest").orElseThrow().parse();
            for (Descriptor child : now.manifests()) {
                assertEquals(child.digest(), s.getManifest("latest-" + child.platform().architecture()).orElseThrow().digest(),
                        "latest-" + child.platform().architecture() + " agrees with latest");
            }
            ImageIndex mine = (ImageIndex) s.getManifest(COMMIT.substring(0, 8)).orElseThrow().parse();
            assertEquals(b.index().digest(), s.getManifest(COMMIT.substring(0, 8)).orElseThrow().digest());
            assertEquals(mine.manifests().get(1).digest(), s.getManifest(COMMIT.substring(0, 8) + "-arm64").orElseThrow().digest());
        }
    }

    @Test
    void theIndexAndEachImageCarryTheCommitsAnnotationsAndTheConfigsOwn() throws Exception {
        checkoutOverride = new GitSource.Checkout(repo, COMMIT, "main", List.of("v2.1.0"), false, null, "2026-11-30T09:15:00+01:00",
                "https://github.com/acme/shop");
        String yaml = "destination: {registry: {repository: localhost:5000/team/meta}}\npipelineName: shop\n"
                + "annotations: {org.example.team: 'payments-{commit-short}', org.opencontainers.image.title: Shop}\nlabels: {org.example.tier: gold}\n";
        RunReport r = run(yaml, true, false);
        assertTrue(r.ok(), r.failure());
        try (ContentStore s = new LayoutStores(dir.resolve("registries")).open(StoreRef.parse("localhost:5000/team/meta"), false)) {
            ImageIndex idx = (ImageIndex) s.getManifest("latest").orElseThrow().parse();
            Map<String, String> want = Map.of("org.opencontainers.image.revision", COMMIT, "org.opencontainers.image.source", "https://github.com/acme/shop",
                    "org.opencontainers.image.created", "2026-11-30T09:15:00+01:00", "org.opencontainers.image.version", "2.1.0",
                    "org.opencontainers.image.title", "Shop", "org.example.team", "payments-" + COMMIT.substring(0, 8));
            assertEquals(want, idx.annotations());
            for (Descriptor child : idx.manifests()) {
                RawManifest raw = s.getManifest(child.digest().toString()).orElseThrow();
                assertEquals(io.polyarch.oci.MediaType.OCI_MANIFEST, raw.mediaType(), "annotations need an OCI manifest");
                ImageManifest im = (ImageManifest) raw.parse();
                assertEquals(want, im.annotations());
                Map<String, String> labels = Images.config(s, im).labels();
                assertEquals("gold", labels.get("org.example.tier"));
                assertEquals(COMMIT, labels.get("org.opencontainers.image.revision"));
                assertEquals("shop", labels.get("org.opencontainers.image.title"), "the flag-free label is the standard one");
            }
        }
    }

    @Test
    void aRunOfAnOlderCommitThatFinishesLastLeavesLatestAtTheNewerCommitsIndex() throws Exception {
        io.polyarch.testing.GitRepo g = io.polyarch.testing.GitRepo.init(repo);
        String older = g.commit("one");
        Files.writeString(repo.resolve("main.c"), "int main() { return 3; }\n");
        String newer = g.commit("two");
        String yaml = "destination: {registry: {repository: localhost:5000/team/order}}\ntagRules: [latest, commit-short]\n";
        checkoutOverride = new GitSource.Checkout(repo, newer, "main", List.of(), false, null);
        RunReport second = run(yaml, true, false);
        assertTrue(second.ok(), second.failure());
        checkoutOverride = new GitSource.Checkout(repo, older, "main", List.of(), false, null);
        RunReport first = run(yaml, true, false);
        assertTrue(first.ok(), first.failure());
        assertEquals(List.of("latest"), first.tagsKept());
        assertTrue(first.notes().stream().anyMatch(n -> n.contains("latest") && n.contains(newer.substring(0, 8)) && n.contains("newer")), first.notes().toString());
        try (ContentStore s = new LayoutStores(dir.resolve("registries")).open(StoreRef.parse("localhost:5000/team/order"), false)) {
            assertEquals(second.index().digest(), s.getManifest("latest").orElseThrow().digest(), "latest stays at the newer commit's index");
            assertEquals(first.index().digest(), s.getManifest(older.substring(0, 8)).orElseThrow().digest(), "the older commit's own tag is written");
            ImageIndex now = (ImageIndex) s.getManifest("latest").orElseThrow().parse();
            for (Descriptor child : now.manifests()) {
                assertEquals(child.digest(), s.getManifest("latest-" + child.platform().architecture()).orElseThrow().digest(), "arch tags agree with latest");
            }
        }
        // a tag whose index names a commit this checkout does not have (another clone's) moves as before
        checkoutOverride = new GitSource.Checkout(repo, COMMIT, "main", List.of(), false, null);
        RunReport foreign = run(yaml, true, false);
        checkoutOverride = new GitSource.Checkout(repo, older, "main", List.of(), false, null);
        RunReport again = run(yaml, true, false);
        assertEquals(List.of(), again.tagsKept());
        try (ContentStore s = new LayoutStores(dir.resolve("registries")).open(StoreRef.parse("localhost:5000/team/order"), false)) {
            assertNotEquals(foreign.index().digest(), again.index().digest());
            assertEquals(again.index().digest(), s.getManifest("latest").orElseThrow().digest());
        }
    }
}
