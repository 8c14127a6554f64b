package io.polyarch.pipeline.run;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Progress;
import io.polyarch.ops.Stores;
import io.polyarch.ops.TagGuard;
import io.polyarch.pipeline.plan.ImageMetadata;
import io.polyarch.tags.Tags;
import io.polyarch.ops.ValidationException;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A variant's publish job, run only when every cell of the variant succeeded: one index of the cells' images by
 * digest (and their SOCI v2 indexes), each child's config checked against its platform, written under every tag of
 * the variant through the same code as {@code polyarch index create}. Tags already in place are left alone.
 */
final class Publisher {
    private final Stores stores;
    private final int jobs;
    private final ContentStore target;
    private final io.polyarch.ops.TagWriter tagWriter;
    private final History history;
    private final Attester attester;
    private final Map<StoreRef, ContentStore> mirrors;
    private final boolean referrers;
    private final Map<String, java.util.concurrent.CompletableFuture<Void>> early;

    /** What the checkout knows of the order of commits. */
    @FunctionalInterface
    interface History {
        /** Whether {@code older} is an ancestor of {@code newer}; empty when the checkout cannot tell. */
        Optional<Boolean> isAncestor(String older, String newer);
    }

    /**
     * @param target    the destination, open, for the arch tags
     * @param mirrors   the other destinations, open
     * @param referrers whether the images have referrers to copy to the other destinations (SOCI v1 indexes)
     * @param early     by cell name, the copies of its image to the other destinations begun when it was pushed
     */
    Publisher(Stores stores, int jobs, ContentStore target, Map<StoreRef, ContentStore> mirrors, boolean referrers,
              Map<String, java.util.concurrent.CompletableFuture<Void>> early, History history, Attester attester) {
        this.stores = stores;
        this.early = early;
        this.mirrors = mirrors;
        this.referrers = referrers;
        this.jobs = jobs;
        this.target = target;
        this.tagWriter = new io.polyarch.ops.TagWriter(target);
        this.history = history;
        this.attester = attester;
    }

    /**
     * The index published, and what became of it in each other destination.
     *
     * @param failure why the tags of another destination did not all move (the first destination's had), or null
     */
    record Outcome(IndexCreator.Result index, List<RunReport.DestinationReport> mirrors, String failure) {
    }

    /**
     * The index goes to the first destination by digest, is signed there, then is copied with every child,
     * signature and attestation to each other destination; only then do tags move: the first destination's, its arch
     * tags, then each other's. A failure before that point moves no tag anywhere.
     */
    Outcome publish(Plan plan, Plan.Variant v, Map<String, CellJob> cellJobs, Map<String, CellState> cells)
            throws StoreException, InvalidInputException, ValidationException {
        List<IndexCreator.Source> sources = new ArrayList<>();
        List<Descriptor> artifacts = new ArrayList<>();
        for (Plan.Cell cell : v.cells()) {
            CellState c = cells.get(cell.name());
            sources.add(new IndexCreator.Source(byDigest(plan.destination(), c.report.digest()), cell.platform(), cell.name() + " build"));
            if (c.sociIndex != null) artifacts.add(c.sociIndex);
        }
        List<String> tags = v.tags();
        java.util.concurrent.atomic.AtomicReference<RawManifest> pushed = new java.util.concurrent.atomic.AtomicReference<>();
        IndexCreator.Result r = new IndexCreator(stores, jobs, Progress.NONE).create(new IndexCreator.Spec(plan.destination().withTag(tags.get(0)),
                tags.subList(1, tags.size()), IndexCreator.Kind.AUTO, v.annotations(), sources, false, artifacts, newer(plan.commit()),
                index -> {
                    attester.beforeTags(v, cellJobs, cells, index);
                    replicate(v, index);
                    pushed.set(index);
                }));
        List<String> kept = r.tagsKept().stream().map(IndexCreator.Kept::tag).toList();
        List<Plan.Cell> tagged = v.cells().stream().filter(c -> c.archTags().size() == tags.size()).toList(); // none: arch tags off
        try {
            Map<String, List<String>> mine = archTags(tagWriter, tags, tagged, Plan.Cell::archTags, cells, r.index().digest(), kept);
            for (Plan.Cell cell : tagged) cells.get(cell.name()).report = cells.get(cell.name()).report.withTags(mine.get(cell.name()));
        } catch (StoreException e) {
            throw new StoreException("write the arch tags", e.getMessage() + "; the index tags " + String.join(", ", r.tagsWritten())
                    + " had moved to " + r.index().digest() + ", and an arch tag that failed still names what it did", false, e);
        }
        List<RunReport.DestinationReport> others = new ArrayList<>();
        for (Plan.Mirror m : v.mirrors()) {
            try {
                others.add(tagMirror(plan, v, cells, m, pushed.get()));
            } catch (StoreException e) {
                // the tags that moved stay (the index is whole in every destination); a second run moves the rest
                return new Outcome(r, others, "tagging " + m.repository() + " failed: " + e.getMessage() + "; the index " + r.index().digest()
                        + " is in every destination, " + plan.destination() + (others.isEmpty() ? "" : " and " + String.join(", ",
                        others.stream().map(RunReport.DestinationReport::repository).toList())) + " have their tags; run again to tag the rest");
            }
        }
        return new Outcome(r, others, null);
    }

    /** The index, children, referrers, signatures and attestations into every other destination, no tag written. */
    private void replicate(Plan.Variant v, RawManifest index) throws StoreException {
        if (v.mirrors().isEmpty()) return;
        // what the early copies did is skipped below (each blob and manifest is looked for first); what they failed
        // to do is done, or fails, here
        for (Plan.Cell cell : v.cells()) {
            var f = early.get(cell.name());
            if (f != null) f.exceptionally(e -> null).join();
        }
        io.polyarch.ops.Replicator replicator = new io.polyarch.ops.Replicator(jobs, Progress.NONE);
        for (Plan.Mirror m : v.mirrors()) {
            ContentStore to = mirrors.get(m.repository());
            try {
                replicator.copy(target, to, index, referrers);
                attester.copyTo(index, to, m.repository());
            } catch (InvalidInputException | StoreException e) {
                throw new StoreException("copy " + index.digest() + " to " + m.repository(), e.getMessage() + "; no tag was moved anywhere",
                        false, e);
            }
        }
    }

    private RunReport.DestinationReport tagMirror(Plan plan, Plan.Variant v, Map<String, CellState> cells, Plan.Mirror m, RawManifest index)
            throws StoreException {
        ContentStore to = mirrors.get(m.repository());
        IndexCreator.Tagged t = IndexCreator.writeTags(to, m.repository(), index, m.tags(), newer(plan.commit()), Progress.NONE);
        List<String> kept = t.kept().stream().map(IndexCreator.Kept::tag).toList();
        List<Plan.Cell> tagged = v.cells().stream().filter(c -> m.archTags().containsKey(c.name())).toList();
        archTags(new io.polyarch.ops.TagWriter(to), m.tags(), tagged, c -> m.archTags().get(c.name()), cells, index.digest(), kept);
        return new RunReport.DestinationReport(RunReport.repositoryOf(m.repository()), m.tags(), t.written(), t.unchanged(), t.kept());
    }

    /**
     * A tag that names the index of a newer commit stays there: a run of an older commit that finishes last (two
     * pushes in quick succession) must not move {@code latest} back. Newer means: the index's revision annotation
     * names a commit this checkout has, and this run's commit is its ancestor. A tag whose index says nothing, or
     * names a commit this checkout cannot place (another branch not fetched, a shallow clone), moves as before.
     */
    private TagGuard newer(String commit) {
        return (tag, current) -> {
            // what is there now and is not an index we can read does not hold the tag
            if (!(current.tryParse().orElse(null) instanceof ImageIndex other) || other.annotations() == null) return Optional.empty();
            String theirs = other.annotations().get(ImageMetadata.REVISION);
            if (theirs == null || theirs.equals(commit)) return Optional.empty();
            return history.isAncestor(commit, theirs).filter(Boolean::booleanValue)
                    .map(yes -> "it names the index of commit " + Tags.commitShort(theirs) + ", which is newer than this run's " + Tags.commitShort(commit));
        };
    }

    /**
     * Each {@code <tag>-<arch>} names that platform's child of the index under {@code <tag>}: written after the
     * index tags, then checked. When another run of the same repository moved {@code <tag>} meanwhile, this run's
     * arch tags follow the index that is there now, so that {@code latest-arm64} always agrees with {@code latest}
     * whichever run writes last (the other run, writing its index tag before its arch tags, re-checks after them).
     * Returns, per cell, the arch tags that name this run's image.
     */
    private Map<String, List<String>> archTags(io.polyarch.ops.TagWriter writer, List<String> tags, List<Plan.Cell> tagged,
                                               java.util.function.Function<Plan.Cell, List<String>> archOf, Map<String, CellState> cells,
                                               Digest index, List<String> kept) throws StoreException {
        Map<String, List<String>> mine = new java.util.LinkedHashMap<>();
        if (tagged.isEmpty()) return mine;
        List<TagWrite> writes = new ArrayList<>();
        for (Plan.Cell cell : tagged) {
            // the arch tags of an index tag left at a newer commit's index are only made to agree with it, below
            List<String> own = new ArrayList<>();
            for (int i = 0; i < tags.size(); i++) {
                if (kept.contains(tags.get(i))) continue;
                writes.add(new TagWrite(cells.get(cell.name()).published, archOf.apply(cell).get(i)));
                own.add(archOf.apply(cell).get(i));
            }
            mine.put(cell.name(), own);
        }
        writeAll(writer, writes);
        List<TagWrite> follow = new ArrayList<>();
        for (int i = 0; i < tags.size(); i++) {
            Optional<RawManifest> now = writer.current(tags.get(i));
            if (now.isEmpty() || now.get().digest().equals(index)
                    || !(io.polyarch.ops.Images.parse(now.get(), "the index under " + tags.get(i)) instanceof ImageIndex other)) continue;
            for (Plan.Cell cell : tagged) {
                Optional<Descriptor> child = other.manifests().stream()
                        .filter(d -> d.platform() != null && !d.isAttestation() && d.platform().matches(cell.platform())).findFirst();
                if (child.isEmpty()) continue;
                Optional<RawManifest> m = writer.current(child.get().digest().toString());
                if (m.isPresent()) follow.add(new TagWrite(m.get(), archOf.apply(cell).get(i)));
            }
        }
        writeAll(writer, follow);
        return mine;
    }

    private record TagWrite(RawManifest manifest, String tag) {
    }

    /**
     * All at once: each is a round trip or two (HEAD, then PUT where it points elsewhere), after the last push.
     * Threads of its own, not the run's pool, which this publish is already running on.
     */
    private static void writeAll(io.polyarch.ops.TagWriter tagWriter, List<TagWrite> writes) throws StoreException {
        if (writes.isEmpty()) return;
        if (writes.size() == 1) {
            tagWriter.tag(writes.get(0).manifest(), writes.get(0).tag());
            return;
        }
        try (var pool = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("arch-tag-", 0).factory())) {
            List<java.util.concurrent.Future<Boolean>> done = new ArrayList<>();
            for (TagWrite w : writes) done.add(pool.submit(() -> tagWriter.tag(w.manifest(), w.tag())));
            for (var f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof StoreException se) throw se;
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new StoreException("write arch tags", String.valueOf(e.getCause()), false, e.getCause());
                } catch (InterruptedException e) {
                    // a publish finishes once its tags begin to move (see LocalExecutor); the caller knows of the interruption
                    Thread.currentThread().interrupt();
                    throw new StoreException("write arch tags", "interrupted");
                }
            }
        }
    }

    private static StoreRef byDigest(StoreRef dest, Digest d) {
        return switch (dest) {
            case StoreRef.Registry r -> new StoreRef.Registry(r.reference().repositoryOnly().withDigest(d));
            case StoreRef.Layout l -> new StoreRef.Layout(l.dir(), null, d);
        };
    }
}
