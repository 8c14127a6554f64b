package io.polyarch.pipeline.run;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Progress;
import io.polyarch.ops.Stores;
import io.polyarch.ops.ValidationException;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A variant's publish job, run only when every cell of the variant succeeded: one index of the cells' images by
 * digest (and their SOCI v2 indexes), each child's config checked against its platform, written under every tag of
 * the variant through the same code as {@code polyarch index create}. Tags already in place are left alone.
 */
final class Publisher {
    private final Stores stores;
    private final int jobs;

    Publisher(Stores stores, int jobs) {
        this.stores = stores;
        this.jobs = jobs;
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
        return new IndexCreator(stores, jobs, Progress.NONE).create(new IndexCreator.Spec(plan.destination().withTag(tags.get(0)),
                tags.subList(1, tags.size()), IndexCreator.Kind.AUTO, Map.of(), sources, false, artifacts));
    }

    private static StoreRef byDigest(StoreRef dest, Digest d) {
        return switch (dest) {
            case StoreRef.Registry r -> new StoreRef.Registry(r.reference().repositoryOnly().withDigest(d));
            case StoreRef.Layout l -> new StoreRef.Layout(l.dir(), null, d);
        };
    }
}
