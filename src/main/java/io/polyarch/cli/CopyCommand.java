package io.polyarch.cli;

import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.ops.Copier;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Sizes;
import io.polyarch.ops.Stores;
import io.polyarch.store.StoreRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

@Command(name = "copy", mixinStandardHelpOptions = true,
        description = {"Copy an image or index between registries, repositories and OCI layout directories, digests preserved.",
                "Blobs move in parallel (--jobs); blobs already at the destination are skipped; within one registry they are mounted.",
                "Without --all, an index source copies only the image for --platform (default: this machine's).",
                "With --referrers, also each copied manifest's referrers (SOCI v1 indexes, OCI 1.1 signatures and SBOMs) and its cosign signatures and attestations; the tag is written last, once all of that is at the destination."})
final class CopyCommand extends ContextCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC")
    String src;

    @Parameters(index = "1", paramLabel = "DST")
    String dst;

    @Option(names = {"-a", "--all"}, description = "Copy every image of an index, and the index itself.")
    boolean all;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Image to copy from an index when --all is not given.")
    String platform;

    @Option(names = "--referrers", description = "Also copy the referrers of every manifest copied (the OCI referrers API, or the "
            + "sha256-<hex> tag where a registry has none) and the cosign signatures and attestations (tags sha256-<hex>.sig and sha256-<hex>.att) "
            + "of each; signatures already at the destination (another key's) are kept beside them.")
    boolean referrers;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    RegistryMixin registry;

    @Override
    public Integer call() throws Exception {
        StoreRef from = IndexCommand.parseRef("SRC", src);
        StoreRef to = IndexCommand.parseRef("DST", dst);
        Platform p = null;
        if (platform != null) {
            if (all) throw new InvalidInputException("--platform and --all exclude each other");
            try {
                p = Platform.parse(platform);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("--platform: " + e.getMessage());
            }
        }
        try (Stores stores = registry.stores(ctx, System.in)) {
            long start = System.nanoTime();
            Copier.Result r = new Copier(stores, registry.jobs, registry.progress(ctx)).copy(from, to, new Copier.Options(all, p == null && !all ? ctx.host() : p, referrers));
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (json) {
                var o = OciJson.mapper().createObjectNode();
                o.put("source", r.source());
                o.put("destination", r.destination());
                o.put("digest", r.manifest().digest().toString());
                o.put("mediaType", r.manifest().mediaType().value());
                o.put("images", r.images().size());
                o.put("blobsCopied", r.blobs().copied());
                o.put("blobsSkipped", r.blobs().skipped());
                o.put("blobsMounted", r.blobs().mounted());
                o.put("bytesCopied", r.blobs().bytes());
                if (referrers) {
                    var refs = o.putArray("referrers");
                    for (var d : r.referrers()) {
                        var e = refs.addObject();
                        e.put("digest", d.digest().toString());
                        e.put("mediaType", d.mediaType().value());
                        if (d.artifactType() != null) e.put("artifactType", d.artifactType());
                    }
                    o.put("attachmentsAdded", r.attachments());
                }
                o.put("durationMs", ms);
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } else {
                ctx.out.printf("%s@%s%n  %d image(s); blobs: %d copied (%s), %d already present, %d mounted; %d ms%n",
                        r.destination(), r.manifest().digest(), r.images().size(), r.blobs().copied(), Sizes.human(r.blobs().bytes()),
                        r.blobs().skipped(), r.blobs().mounted(), ms);
                if (referrers) ctx.out.printf("  %d referrer(s); %d signature or attestation layer(s) added%n", r.referrers().size(), r.attachments());
            }
            return Main.OK;
        }
    }
}
