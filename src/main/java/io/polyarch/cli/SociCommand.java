package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.ops.Copier;
import io.polyarch.ops.Images;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Sizes;
import io.polyarch.ops.Stores;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.soci.SociIndexer;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "soci", description = "SOCI (Seekable OCI) indexes for lazy loading on AWS Fargate and ECS.", mixinStandardHelpOptions = true,
        subcommands = SociCommand.Create.class)
final class SociCommand extends GroupCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a SOCI index for an image straight from the registry (or an OCI layout): no containerd, no soci CLI.",
                    "v2 (default): writes a new image index in which each indexed image carries com.amazon.soci.index-digest and",
                    "its SOCI index is listed with its platform, and tags it (the --to tag, else REF's own tag).",
                    "v1: pushes each SOCI index with the image as its subject (referrers API, or its tag fallback); no tag moves.",
                    "Layers under --min-layer-size and zstd layers are skipped. Nothing is written unless every layer succeeds."})
    static final class Create extends ContextCommand implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "REF", description = "The image or index: host/repo:tag, host/repo@sha256:..., or oci:DIR[:tag].")
        String ref;

        @Option(names = "--to", paramLabel = "REF", description = "Where to write the result (the image is copied there first if it lives elsewhere). Default: REF.")
        String to;

        @Option(names = "--format", defaultValue = "v2", paramLabel = "v2|v1", description = "SOCI index format (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--span-size", defaultValue = "4MiB", paramLabel = "SIZE", description = "Uncompressed bytes between checkpoints (default: ${DEFAULT-VALUE}).")
        String spanSize;

        @Option(names = "--min-layer-size", defaultValue = "10MiB", paramLabel = "SIZE",
                description = "Layers smaller than this (compressed) are not indexed (default: ${DEFAULT-VALUE}).")
        String minLayerSize;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to index (repeatable). Default: the host's, as soci does.")
        List<String> platforms = new ArrayList<>();

        @Option(names = "--all-platforms", description = "Index every platform of the image.")
        boolean allPlatforms;

        @Option(names = "--json", description = "Print the result as JSON on standard output.")
        boolean json;

        @Mixin
        RegistryMixin registry;

        @Override
        public Integer call() throws Exception {
            StoreRef source = IndexCommand.parseRef("REF", ref);
            StoreRef target = to == null ? source : IndexCommand.parseRef("--to", to);
            SociIndexer.Format fmt;
            try {
                fmt = SociIndexer.Format.parse(format);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("--format: " + e.getMessage());
            }
            long span = parseSize("--span-size", spanSize);
            long min = parseSize("--min-layer-size", minLayerSize);
            if (span < 64 << 10) throw new InvalidInputException("--span-size " + spanSize + " is too small; use at least 64KiB (soci's default is 4MiB)");
            List<Platform> wanted = new ArrayList<>();
            for (String p : platforms) {
                try {
                    wanted.add(Platform.parse(p));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("--platform '" + p + "': " + e.getMessage());
                }
            }
            if (allPlatforms && !wanted.isEmpty()) throw new InvalidInputException("--platform and --all-platforms exclude each other");
            String tag = target.tag();
            if (fmt == SociIndexer.Format.V2 && tag == null) {
                throw new InvalidInputException((to == null ? "REF " : "--to ") + target + " names no tag, and a v2 SOCI index is a new image index "
                        + "that needs one: give --to REPO:TAG");
            }
            SociIndexer.Options opts = new SociIndexer.Options(fmt, span, min, "polyarch " + RegistryOptions.version(), registry.jobs);
            try (Stores stores = registry.stores(ctx, System.in)) {
                String top = source.identifier();
                if (!source.sameLocation(target)) {
                    var copied = new Copier(stores, registry.jobs, registry.progress(ctx)).copy(source, target, new Copier.Options(true, null));
                    ctx.err.println("copied " + source + " to " + copied.destination());
                    top = copied.manifest().digest().toString();
                }
                try (ContentStore store = stores.open(target, true)) {
                    RawManifest before = Images.require(store, top, "image " + source);
                    List<SociIndexer.Target> targets;
                    try {
                        targets = SociIndexer.select(store, before, wanted, allPlatforms, ctx.host());
                    } catch (IllegalArgumentException e) {
                        throw new InvalidInputException(source + ": " + e.getMessage());
                    }
                    SociIndexer.Result result = new SociIndexer(opts, line -> ctx.err.println(line)).index(store, before, targets);
                    boolean moved = result.index() != null && store.tag(result.index(), tag);
                    print(result, store.describe(), before, tag, moved);
                }
            }
            return Main.OK;
        }

        private void print(SociIndexer.Result result, String repo, RawManifest before, String tag, boolean moved) throws Exception {
            if (json) {
                ObjectNode o = OciJson.mapper().createObjectNode();
                o.put("repository", repo);
                o.put("format", result.format().name().toLowerCase(Locale.ROOT));
                o.put("source", before.digest().toString());
                if (result.index() != null) {
                    o.put("index", result.index().digest().toString());
                    o.put("tag", tag);
                    o.put("tagMoved", moved);
                }
                ArrayNode imgs = o.putArray("images");
                for (var img : result.images()) {
                    ObjectNode i = imgs.addObject();
                    i.put("platform", img.platform().toString());
                    i.put("original", img.original().digest().toString());
                    i.put("image", img.image().digest().toString());
                    i.put("sociIndex", img.sociIndex() == null ? null : img.sociIndex().digest().toString());
                    ArrayNode layers = i.putArray("layers");
                    for (var l : img.layers()) {
                        ObjectNode ln = layers.addObject();
                        ln.put("digest", l.layer().digest().toString()).put("size", l.layer().size());
                        if (l.ztoc() != null) ln.put("ztoc", l.ztoc().digest().toString()).put("ztocSize", l.ztoc().size()).put("millis", l.millis());
                        else ln.put("skipped", l.skipped());
                    }
                }
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
                return;
            }
            for (var img : result.images()) {
                long indexed = img.layers().stream().filter(l -> l.ztoc() != null).count();
                ctx.out.printf("  %-14s %s  %d of %d layers indexed%s%n", img.platform(),
                        img.sociIndex() == null ? "no SOCI index" : "SOCI index " + img.sociIndex().digest(), indexed, img.layers().size(),
                        img.image().digest().equals(img.original().digest()) ? "" : ", image now " + img.image().digest().shortHex());
                for (Descriptor l : img.layers().stream().map(SociIndexer.LayerOutcome::layer).toList()) {
                    var lo = img.layers().stream().filter(x -> x.layer().equals(l)).findFirst().orElseThrow();
                    ctx.out.printf("      layer %s %9s  %s%n", l.digest().shortHex(), Sizes.human(l.size()),
                            lo.ztoc() != null ? "zTOC " + lo.ztoc().digest().shortHex() + " (" + Sizes.human(lo.ztoc().size()) + ")" : "skipped: " + lo.skipped());
                }
            }
            if (result.index() != null) {
                ctx.out.println(repo + ":" + tag + " -> " + result.index().digest() + (moved ? " (was " + before.digest() + ")" : " (unchanged)"));
            } else {
                ctx.out.println("SOCI v1 indexes pushed with the image as subject; no tag moved");
            }
        }
    }

    /** Bytes, or a number with KiB/MiB/GiB, as in the pipeline config's soci block. */
    static long parseSize(String option, String text) throws InvalidInputException {
        try {
            return io.polyarch.pipeline.spec.SpecLoader.parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(option + " " + e.getMessage());
        }
    }
}
