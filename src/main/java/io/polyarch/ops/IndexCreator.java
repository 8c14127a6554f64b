package io.polyarch.ops;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageConfig;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.NotFoundException;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds one index from images and indexes, what {@code docker manifest create/annotate/push} and
 * manifest-tool do, but checked: platforms come from each image's config, duplicates are refused,
 * every child's config must agree with the platform it is listed under before any tag moves, children
 * are referenced by digest and copied (or mounted) into the target repository first, and the bytes are
 * deterministic so that running it again with the same inputs changes nothing.
 */
public final class IndexCreator {
    private final Stores stores;
    private final BlobTransfer blobs;
    private final Progress progress;
    private final int jobs;

    public IndexCreator(Stores stores, int jobs, Progress progress) {
        this.stores = stores;
        this.jobs = Math.max(1, jobs);
        this.blobs = new BlobTransfer(jobs, progress);
        this.progress = progress;
    }

    public enum Kind { AUTO, OCI, DOCKER }

    /** One source: a reference, and optionally the platform the user says it is (checked against its config). */
    public record Source(StoreRef ref, Platform platform, String text) {
        /** Parses {@code REF} or {@code REF=os/arch[/variant]}. */
        public static Source parse(String text) throws InvalidInputException {
            String refText = text;
            Platform p = null;
            int eq = text.lastIndexOf('=');
            if (eq > 0) {
                refText = text.substring(0, eq);
                try {
                    p = Platform.parse(text.substring(eq + 1));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("source '" + text + "': " + e.getMessage());
                }
            }
            try {
                return new Source(StoreRef.parse(refText), p, text);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("source '" + text + "': " + e.getMessage());
            }
        }
    }

    /**
     * @param artifacts descriptors listed after the images as they are (e.g. SOCI indexes with their platform); they
     *                  must already be in the target, and are not images, so no config check applies to them
     */
    public record Spec(StoreRef target, List<String> extraTags, Kind kind, Map<String, String> annotations,
                       List<Source> sources, boolean keepAttestations, List<Descriptor> artifacts, TagGuard guard, BeforeTags beforeTags) {
        public Spec {
            if (beforeTags == null) beforeTags = index -> { };
            extraTags = List.copyOf(extraTags);
            annotations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(annotations));
            sources = List.copyOf(sources);
            artifacts = List.copyOf(artifacts);
            if (guard == null) guard = TagGuard.NONE;
        }

        public Spec(StoreRef target, List<String> extraTags, Kind kind, Map<String, String> annotations,
                    List<Source> sources, boolean keepAttestations) {
            this(target, extraTags, kind, annotations, sources, keepAttestations, List.of(), TagGuard.NONE, null);
        }
    }

    /** Runs once the index is in the target by digest and before any tag moves (signing it, for example). */
    @FunctionalInterface
    public interface BeforeTags {
        void ready(RawManifest index) throws StoreException;
    }

    /** One entry of the index, with where it came from and what its config says. */
    public record Entry(Descriptor descriptor, String source, Platform configPlatform) {
    }

    /** @param tagsKept tags the guard kept where they were, each with its reason */
    public record Result(String repository, Descriptor index, List<Entry> entries, List<String> tagsWritten,
                         List<String> tagsUnchanged, List<Kept> tagsKept) {
    }

    /** A tag the {@link TagGuard} kept where it was, and why. */
    public record Kept(String tag, String reason) {
    }

    private record Child(Descriptor descriptor, RawManifest manifest, ImageManifest image, Source source,
                         ContentStore store, Platform configPlatform) {
    }

    public Result create(Spec spec) throws StoreException, InvalidInputException, ValidationException {
        if (spec.sources().isEmpty()) throw new InvalidInputException("no sources: give at least one image or index to put in the index");
        if (spec.target().digest() != null) throw new InvalidInputException("--to " + spec.target() + " names a digest; give a repository and tag");
        List<ContentStore> opened = new ArrayList<>();
        try (ContentStore target = stores.open(spec.target(), true)) {
            List<ContentStore> sourceStores = new ArrayList<>();
            for (Source s : spec.sources()) {
                ContentStore store = s.ref().sameLocation(spec.target()) ? target : stores.open(s.ref(), false);
                if (store != target) opened.add(store);
                sourceStores.add(store);
            }
            // the sources are read at once (each a manifest and a config, a round trip apiece), kept in the order given
            List<Child> children = new ArrayList<>();
            for (List<Child> cs : eachAtOnce(spec.sources().size(), i -> resolve(spec.sources().get(i), sourceStores.get(i), spec.keepAttestations()))) {
                children.addAll(cs);
            }
            checkDuplicates(children);
            validate(children);
            MediaType type = chooseType(spec, children);

            for (Child c : children) {
                if (c.store() != target) {
                    blobs.transfer(c.store(), target, c.image() != null ? c.image().blobs() : List.of());
                    target.putManifest(c.manifest(), null);
                } else if (target.headManifest(c.descriptor().digest().toString()).isEmpty()) {
                    throw new NotFoundException("create index", "child " + c.descriptor().digest() + " vanished from " + target.describe());
                }
            }
            List<Descriptor> descriptors = new ArrayList<>(children.stream().map(Child::descriptor).toList());
            for (Descriptor a : spec.artifacts()) {
                if (type.isDocker()) throw new InvalidInputException("a Docker manifest list cannot list artifacts such as " + a.digest() + "; use --media-type oci");
                if (target.headManifest(a.digest().toString()).isEmpty()) {
                    throw new NotFoundException("create index", "artifact " + a.digest() + " is not in " + target.describe());
                }
                descriptors.add(a);
            }
            ImageIndex index = new ImageIndex(type, descriptors, null, null, spec.annotations());
            RawManifest raw = RawManifest.of(type, OciJson.write(index));

            LinkedHashSet<String> tags = new LinkedHashSet<>();
            tags.add(spec.target().tag() != null ? spec.target().tag() : "latest");
            tags.addAll(spec.extraTags());
            target.putManifest(raw, null);
            spec.beforeTags().ready(raw);
            Tagged t = writeTags(target, spec.target(), raw, tags, spec.guard(), progress);
            List<Entry> entries = children.stream().map(c -> new Entry(c.descriptor(), c.source().text(), c.configPlatform())).toList();
            return new Result(spec.target().withTag(null).toString(), raw.descriptor(), entries, t.written(), t.unchanged(), t.kept());
        } finally {
            for (ContentStore s : opened) s.close();
        }
    }

    /** What {@link #writeTags} did with each tag. */
    public record Tagged(List<String> written, List<String> unchanged, List<Kept> kept) {
        public Tagged {
            written = List.copyOf(written);
            unchanged = List.copyOf(unchanged);
            kept = List.copyOf(kept);
        }
    }

    /**
     * Moves {@code tags} of {@code target} (named {@code ref} in messages) to {@code raw}, which is there by digest:
     * first every tag the guard keeps is known, then the others move in order; an error after the first moved names
     * the tags that did.
     */
    public static Tagged writeTags(ContentStore target, StoreRef ref, RawManifest raw, java.util.Collection<String> tags, TagGuard guard,
                                   Progress progress) throws StoreException {
        List<String> written = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        List<Kept> kept = new ArrayList<>();
        List<String> moving = new ArrayList<>();
        for (String tag : tags) {
            if (guard != TagGuard.NONE) {
                Optional<RawManifest> now = target.getManifest(tag);
                Optional<String> why = now.isPresent() && !now.get().digest().equals(raw.digest()) ? guard.keep(tag, now.get()) : Optional.empty();
                if (why.isPresent()) {
                    kept.add(new Kept(tag, why.get()));
                    progress.event("left " + ref.withTag(tag) + " at " + now.get().digest() + ": " + why.get());
                    continue;
                }
            }
            moving.add(tag);
        }
        TagWriter writer = new TagWriter(target);
        for (String tag : moving) {
            boolean moved;
            try {
                moved = writer.tag(raw, tag);
            } catch (StoreException e) {
                if (written.isEmpty()) throw e;
                throw new StoreException("tag " + ref.withTag(tag), e.getMessage() + "; " + String.join(", ", written)
                        + (written.size() == 1 ? " was" : " were") + " already moved to " + raw.digest() + ", the others were not", false, e);
            }
            if (!moved) {
                unchanged.add(tag);
                continue;
            }
            written.add(tag);
            progress.event("tagged " + ref.withTag(tag) + " -> " + raw.digest());
        }
        return new Tagged(written, unchanged, kept);
    }

    private interface Work<T> {
        T run(int i) throws StoreException, InvalidInputException;
    }

    /** {@code work(0..n-1)}, up to {@code jobs} at once on platform threads; results in order, the first failure thrown. */
    private <T> List<T> eachAtOnce(int n, Work<T> work) throws StoreException, InvalidInputException {
        if (n == 1 || jobs == 1) {
            List<T> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(work.run(i));
            return out;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.min(n, jobs),
                Thread.ofPlatform().daemon().name("index-source-", 0).factory());
        try {
            List<java.util.concurrent.Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> work.run(k)));
            }
            List<T> out = new ArrayList<>();
            for (java.util.concurrent.Future<T> f : fs) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof StoreException se) throw se;
                    if (e.getCause() instanceof InvalidInputException ie) throw ie;
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException("create index", "interrupted");
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private List<Child> resolve(Source s, ContentStore store, boolean keepAttestations) throws StoreException, InvalidInputException {
        Optional<RawManifest> found;
        try {
            found = store.getManifest(s.ref().identifier());
        } catch (NotFoundException e) {
            found = Optional.empty();
        }
        RawManifest m = found.orElseThrow(() -> new InvalidInputException(
                "source '" + s.text() + "' does not exist: no manifest " + s.ref().identifier() + " in " + store.describe()));
        Manifest parsed = Images.parse(m, "source " + s.text());
        List<Child> out = new ArrayList<>();
        if (parsed instanceof ImageManifest im) {
            ImageConfig cfg = Images.config(store, im);
            if (cfg.platform() == null && s.platform() == null) {
                throw new InvalidInputException("source '" + s.text() + "': its config names no os/architecture; give it as "
                        + s.text() + "=os/arch");
            }
            Platform listed = s.platform() != null ? s.platform() : cfg.platform();
            out.add(new Child(m.descriptor().withPlatform(listed), m, im, s, store, cfg.platform()));
            return out;
        }
        if (s.platform() != null) {
            throw new InvalidInputException("source '" + s.text() + "' is an index: a platform override applies only to a single image; "
                    + "drop '=" + s.platform() + "' or name one of its images by digest");
        }
        ImageIndex index = (ImageIndex) parsed;
        for (Descriptor d : index.manifests()) {
            if (d.isAttestation() && !keepAttestations) {
                progress.event("dropped attestation " + d.digest().shortHex() + " from " + s.text());
                continue;
            }
            RawManifest cm = Images.require(store, d.digest().toString(), "child " + d.digest() + " of " + s.text());
            Manifest child = Images.parse(cm, "child of " + s.text());
            if (!(child instanceof ImageManifest im)) {
                throw new InvalidInputException("source '" + s.text() + "' nests an index (" + d.digest() + "); flatten it first");
            }
            if (d.isAttestation()) {
                out.add(new Child(d, cm, im, s, store, d.platform()));
                continue;
            }
            ImageConfig cfg = Images.config(store, im);
            Platform listed = d.platform() != null ? d.platform() : cfg.platform();
            if (listed == null) {
                throw new InvalidInputException("source '" + s.text() + "': entry " + d.digest() + " has no platform in the index or its config");
            }
            Descriptor desc = new Descriptor(cm.mediaType(), cm.digest(), cm.size(), d.urls(), d.annotations(), listed, d.artifactType());
            out.add(new Child(desc, cm, im, s, store, cfg.platform()));
        }
        return out;
    }

    private static void checkDuplicates(List<Child> children) throws InvalidInputException {
        Map<String, Child> seen = new LinkedHashMap<>();
        for (Child c : children) {
            if (c.descriptor().isAttestation()) continue;
            String key = c.descriptor().platform().key();
            Child before = seen.putIfAbsent(key, c);
            if (before != null) {
                throw new InvalidInputException("two sources for platform " + key + ": '" + before.source().text() + "' ("
                        + before.descriptor().digest().shortHex() + ") and '" + c.source().text() + "' (" + c.descriptor().digest().shortHex()
                        + "); an index can list each platform once");
            }
        }
    }

    /** ggcr's validate.Image in spirit: what an index says a child is must be what the child's config says. */
    private static void validate(List<Child> children) throws ValidationException {
        List<String> problems = new ArrayList<>();
        for (Child c : children) {
            if (c.descriptor().isAttestation()) continue;
            Platform listed = c.descriptor().platform();
            Platform actual = c.configPlatform();
            if (actual == null) continue;
            if (!listed.matches(actual)) {
                problems.add("'" + c.source().text() + "' (" + c.descriptor().digest().shortHex() + ") is listed as " + listed
                        + " but its config says " + actual);
            }
        }
        if (!problems.isEmpty()) {
            throw new ValidationException("refusing to publish an index whose children disagree with their platforms; nothing was tagged:\n  "
                    + String.join("\n  ", problems));
        }
    }

    private static MediaType chooseType(Spec spec, List<Child> children) throws InvalidInputException {
        boolean allDocker = children.stream().allMatch(c -> c.manifest().mediaType().equals(MediaType.DOCKER_MANIFEST));
        switch (spec.kind()) {
            case OCI:
                return MediaType.OCI_INDEX;
            case DOCKER:
                for (Child c : children) {
                    if (!c.manifest().mediaType().equals(MediaType.DOCKER_MANIFEST)) {
                        throw new InvalidInputException("--media-type docker, but '" + c.source().text() + "' is " + c.manifest().mediaType()
                                + "; a Docker manifest list can only hold Docker v2 manifests. Use --media-type oci or auto");
                    }
                }
                if (!spec.annotations().isEmpty()) {
                    throw new InvalidInputException("--media-type docker cannot carry --annotation (Docker manifest lists have no annotations); use --media-type oci");
                }
                return MediaType.DOCKER_MANIFEST_LIST;
            default:
                return allDocker && spec.annotations().isEmpty() && spec.artifacts().isEmpty() ? MediaType.DOCKER_MANIFEST_LIST : MediaType.OCI_INDEX;
        }
    }
}
