package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.OciJson;
import io.polyarch.ops.Inspector;
import io.polyarch.ops.Sizes;
import io.polyarch.ops.Stores;
import io.polyarch.store.StoreRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show what a reference points at.",
                "For an index: platform, digest and size of each child, and whether the child's config agrees with its platform",
                "(exit 1 if any does not). For an image: its config, platform and layers."})
final class InspectCommand extends ContextCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REF", description = "host/repo:tag, host/repo@sha256:..., or oci:DIR[:tag].")
    String ref;

    @Option(names = "--raw", description = "Print the manifest bytes exactly as stored.")
    boolean raw;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin
    RegistryMixin registry;

    @Override
    public Integer call() throws Exception {
        StoreRef r = IndexCommand.parseRef("REF", ref);
        try (Stores stores = registry.stores(ctx, System.in)) {
            Inspector.Report rep = new Inspector(stores).inspect(r);
            if (raw) {
                ctx.out.print(new String(rep.raw().bytes(), StandardCharsets.UTF_8));
                ctx.out.flush();
                return Main.OK;
            }
            if (json) {
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(rep)));
            } else {
                print(rep);
            }
            return rep.allAgree() ? Main.OK : Main.FAILED;
        }
    }

    private void print(Inspector.Report rep) {
        ctx.out.println(rep.reference());
        ctx.out.println("  digest:     " + rep.raw().digest());
        ctx.out.println("  media type: " + rep.raw().mediaType());
        if (rep.isIndex()) {
            ctx.out.printf("%n  %-18s %-71s %10s  %s%n", "PLATFORM", "DIGEST", "SIZE", "CONFIG");
            for (var c : rep.children()) {
                String status = c.attestation() ? "attestation" : !c.checked() ? "not checked (more than " + io.polyarch.ops.Inspector.MAX_CHECKED
                        + " children)" : c.agrees() ? "ok (" + c.configPlatform() + ")" : "MISMATCH: " + c.problem();
                String platform = c.descriptor().platform() == null ? "-" : c.descriptor().platform().toString();
                ctx.out.printf("  %-18s %-71s %10d  %s%n", platform, c.descriptor().digest(), c.descriptor().size(), status);
            }
        } else {
            var img = rep.image();
            ctx.out.println("  platform:   " + img.platform());
            if (img.created() != null) ctx.out.println("  created:    " + img.created());
            ctx.out.println("  config:     " + img.config().digest() + " (" + img.config().size() + " bytes)");
            ctx.out.println("  total size: " + Sizes.human(img.totalSize()));
            ctx.out.printf("%n  %-71s %12s  %s%n", "LAYER", "SIZE", "MEDIA TYPE");
            for (Descriptor l : img.layers()) {
                ctx.out.printf("  %-71s %12d  %s%n", l.digest(), l.size(), l.mediaType());
            }
        }
    }

    private static ObjectNode toJson(Inspector.Report rep) {
        ObjectNode o = OciJson.mapper().createObjectNode();
        o.put("reference", rep.reference());
        o.put("digest", rep.raw().digest().toString());
        o.put("mediaType", rep.raw().mediaType().value());
        o.put("size", rep.raw().size());
        if (rep.isIndex()) {
            ArrayNode arr = o.putArray("manifests");
            for (var c : rep.children()) {
                ObjectNode n = arr.addObject();
                n.put("platform", c.descriptor().platform() == null ? null : c.descriptor().platform().toString());
                n.put("digest", c.descriptor().digest().toString());
                n.put("size", c.descriptor().size());
                n.put("mediaType", c.descriptor().mediaType().value());
                n.put("attestation", c.attestation());
                n.put("checked", c.checked());
                n.put("configPlatform", c.configPlatform() == null ? null : c.configPlatform().toString());
                n.put("agrees", c.agrees());
                if (c.problem() != null) n.put("problem", c.problem());
            }
        } else {
            var img = rep.image();
            o.put("platform", img.platform() == null ? null : img.platform().toString());
            o.put("created", img.created());
            o.set("config", OciJson.descriptorNode(img.config()));
            ArrayNode arr = o.putArray("layers");
            for (Descriptor l : img.layers()) arr.add(OciJson.descriptorNode(l));
            o.put("totalSize", img.totalSize());
        }
        return o;
    }
}
