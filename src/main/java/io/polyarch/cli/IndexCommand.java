package io.polyarch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.ops.IndexCreator;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Stores;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Reference;
import io.polyarch.store.StoreRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "index", description = "Create multi-platform indexes.", mixinStandardHelpOptions = true,
        subcommands = IndexCommand.Create.class)
final class IndexCommand extends GroupCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create one index (manifest list) from images and/or indexes and push it under every tag.",
                    "Each SRC is REF or REF=os/arch[/variant]; REF is host/repo:tag, host/repo@sha256:..., or oci:DIR[:tag].",
                    "Platforms come from each image's config; indexes are flattened; attestations are dropped unless --keep-attestations.",
                    "Children are copied (or mounted) into the target repository and referenced by digest.",
                    "Nothing is tagged unless every child's config agrees with the platform it is listed under."})
    static final class Create extends ContextCommand implements Callable<Integer> {
        @Option(names = "--to", required = true, paramLabel = "REF", description = "Target repository and tag (host/repo:tag or oci:DIR:tag).")
        String to;

        @Option(names = {"-t", "--tag"}, paramLabel = "TAG", description = "Another tag to write in the same run (repeatable).")
        List<String> tags = new ArrayList<>();

        @Option(names = "--media-type", defaultValue = "auto", paramLabel = "auto|oci|docker",
                description = "Index media type: auto (Docker manifest list if every child is a Docker v2 manifest, else OCI), oci, docker.")
        String mediaType;

        @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "Index annotation (repeatable; OCI indexes only).")
        List<String> annotations = new ArrayList<>();

        @Option(names = "--keep-attestations", description = "Keep unknown/unknown attestation entries of source indexes.")
        boolean keepAttestations;

        @Option(names = "--json", description = "Print the result as JSON on standard output.")
        boolean json;

        @Parameters(arity = "1..*", paramLabel = "SRC", description = "Images or indexes to include.")
        List<String> sources;

        @Mixin
        RegistryMixin registry;

        @Override
        public Integer call() throws Exception {
            StoreRef target = parseRef("--to", to);
            for (String t : tags) {
                try {
                    Reference.parse("x/y:" + t);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("--tag '" + t + "': " + e.getMessage().replaceFirst("^invalid reference 'x/y:[^']*': ", ""));
                }
            }
            IndexCreator.Kind kind = switch (mediaType.toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> IndexCreator.Kind.AUTO;
                case "oci" -> IndexCreator.Kind.OCI;
                case "docker" -> IndexCreator.Kind.DOCKER;
                default -> throw new InvalidInputException("--media-type '" + mediaType + "': expected auto, oci or docker");
            };
            Map<String, String> ann = new LinkedHashMap<>();
            for (String a : annotations) {
                int eq = a.indexOf('=');
                if (eq <= 0) throw new InvalidInputException("--annotation '" + a + "': expected KEY=VALUE");
                ann.put(a.substring(0, eq), a.substring(eq + 1));
            }
            List<IndexCreator.Source> srcs = new ArrayList<>();
            for (String s : sources) srcs.add(IndexCreator.Source.parse(s));
            try (Stores stores = registry.stores(ctx, System.in)) {
                var result = new IndexCreator(stores, registry.jobs, registry.progress(ctx))
                        .create(new IndexCreator.Spec(target, tags, kind, ann, srcs, keepAttestations));
                if (json) {
                    ObjectNode o = OciJson.mapper().createObjectNode();
                    o.put("repository", result.repository());
                    o.putObject("index").put("digest", result.index().digest().toString())
                            .put("mediaType", result.index().mediaType().value()).put("size", result.index().size());
                    ArrayNode e = o.putArray("manifests");
                    for (var en : result.entries()) {
                        e.addObject().put("platform", en.descriptor().platform() == null ? null : en.descriptor().platform().toString())
                                .put("digest", en.descriptor().digest().toString()).put("size", en.descriptor().size())
                                .put("source", en.source());
                    }
                    ArrayNode w = o.putArray("tagsWritten");
                    result.tagsWritten().forEach(w::add);
                    ArrayNode u = o.putArray("tagsUnchanged");
                    result.tagsUnchanged().forEach(u::add);
                    ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
                } else {
                    for (var en : result.entries()) {
                        ctx.out.printf("  %-16s %s  %s%n", en.descriptor().platform(), en.descriptor().digest(), en.source());
                    }
                    ctx.out.println(result.repository() + "@" + result.index().digest() + " (" + result.index().mediaType() + ")");
                    if (!result.tagsWritten().isEmpty()) ctx.out.println("tagged: " + String.join(", ", result.tagsWritten()));
                    if (!result.tagsUnchanged().isEmpty()) ctx.out.println("unchanged: " + String.join(", ", result.tagsUnchanged()));
                }
            }
            return Main.OK;
        }
    }

    static StoreRef parseRef(String what, String text) throws InvalidInputException {
        try {
            return StoreRef.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(what + ": " + e.getMessage());
        }
    }
}
