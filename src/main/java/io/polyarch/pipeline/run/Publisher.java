package io.polyarch.pipeline.run;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Progress;
import io.polyarch.ops.Stores;
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

    /** @param target the destination, open, for the arch tags */
    Publisher(Stores stores, int jobs, ContentStore target) {
        this.stores = stores;
        this.jobs = jobs;
        this.target = target;
    }

    IndexCreator.Result publish(Plan plan, Plan.Variant v, Map<String, CellState> cells)
            throws StoreException, InvalidInputException, ValidationException {
        List<IndexCreator.Source> sources = new ArrayList<>();
        List<Descriptor> artifacts = new ArrayList<>();
        for (Plan.Cell cell : v.cells()) {
            CellState c = cells.get(cell.name());
            sources.add(new IndexCreator.Source(byDigest(plan.destination(), c.report.digest()), cell.platform(), cell.name() + " build"));
            if (c.sociIndex != null) artifacts.add(c.sociIndex);
        }
        List<String> tags = v.tags();
        IndexCreator.Result r = new IndexCreator(stores, jobs, Progress.NONE).create(new IndexCreator.Spec(plan.destination().withTag(tags.get(0)),
                tags.subList(1, tags.size()), IndexCreator.Kind.AUTO, Map.of(), sources, false, artifacts));
        archTags(v, cells, r.index().digest());
        return r;
    }

    /**
     * Each {@code <tag>-<arch>} names that platform's child of the index under {@code <tag>}: written after the
     * index tags, then checked. When another run of the same repository moved {@code <tag>} meanwhile, this run's
     * arch tags follow the index that is there now, so that {@code latest-arm64} always agrees with {@code latest}
     * whichever run writes last (the other run, writing its index tag before its arch tags, re-checks after them).
     */
    private void archTags(Plan.Variant v, Map<String, CellState> cells, Digest index) throws StoreException {
        List<String> tags = v.tags();
        List<Plan.Cell> tagged = v.cells().stream().filter(c -> c.archTags().size() == tags.size()).toList(); // none: arch tags off
        if (tagged.isEmpty()) return;
        List<TagWrite> writes = new ArrayList<>();
        for (Plan.Cell cell : tagged) {
            for (String t : cell.archTags()) writes.add(new TagWrite(cells.get(cell.name()).published, t));
        }
        writeAll(writes);
        List<TagWrite> follow = new ArrayList<>();
        for (int i = 0; i < tags.size(); i++) {
            Optional<RawManifest> now = target.getManifest(tags.get(i));
            if (now.isEmpty() || now.get().digest().equals(index)
                    || !(io.polyarch.ops.Images.parse(now.get(), "the index under " + tags.get(i)) instanceof ImageIndex other)) continue;
            for (Plan.Cell cell : tagged) {
                Optional<Descriptor> child = other.manifests().stream()
                        .filter(d -> d.platform() != null && !d.isAttestation() && d.platform().matches(cell.platform())).findFirst();
                if (child.isEmpty()) continue;
                Optional<RawManifest> m = target.getManifest(child.get().digest().toString());
                if (m.isPresent()) follow.add(new TagWrite(m.get(), cell.archTags().get(i)));
            }
        }
        writeAll(follow);
        for (Plan.Cell cell : tagged) {
            CellState c = cells.get(cell.name());
            c.report = c.report.withTags(cell.archTags());
        }
    }

    private record TagWrite(RawManifest manifest, String tag) {
    }

    /**
     * All at once: each is a round trip or two (HEAD, then PUT where it points elsewhere), after the last push.
     * Threads of its own, not the run's pool, which this publish is already running on.
     */
    private void writeAll(List<TagWrite> writes) throws StoreException {
        if (writes.size() == 1) {
            target.tag(writes.get(0).manifest(), writes.get(0).tag());
            return;
        }
        try (var pool = java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("arch-tag-", 0).factory())) {
            List<java.util.concurrent.Future<Boolean>> done = new ArrayList<>();
            for (TagWrite w : writes) done.add(pool.submit(() -> target.tag(w.manifest(), w.tag())));
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
