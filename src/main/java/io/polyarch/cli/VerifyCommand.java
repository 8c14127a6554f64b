package io.polyarch.cli;

import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.ops.Images;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.ops.Stores;
import io.polyarch.sign.KeyFiles;
import io.polyarch.sign.Verifier;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.security.PublicKey;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check what polyarch signed before it moved a tag: the signature of the index and of every entry, and each",
                "image's SLSA provenance (signed, about that image, naming the base image its layers start with).",
                "Exit 0 when all holds, 1 naming what does not."})
final class VerifyCommand extends ContextCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REF", description = "host/repo:tag or host/repo@sha256:...")
    String ref;

    @Option(names = "--key", paramLabel = "PUB", description = "The public key (cosign.pub).")
    Path key;

    @Option(names = "--kms", paramLabel = "awskms:///ARN-or-alias", description = "Take the public key from this AWS KMS key instead.")
    String kms;

    @Option(names = "--json", description = "Print the result as JSON (for CI gates).")
    boolean json;

    @Mixin
    RegistryMixin registry;

    @Override
    public Integer call() throws Exception {
        if ((key == null) == (kms == null)) throw new InvalidInputException("verify: give exactly one of --key PUB or --kms awskms:///ARN-or-alias");
        StoreRef r = IndexCommand.parseRef("REF", ref);
        if (!(r instanceof StoreRef.Registry reg)) throw new InvalidInputException("verify: REF must be in a registry (host/repo:tag); signatures live beside it there");
        PublicKey pub = key != null ? KeyFiles.publicKey(ctx.cwd().resolve(key)) : io.polyarch.aws.KmsSigner.open(kms, ctx.env).publicKey();
        try (Stores stores = registry.stores(ctx, System.in); ContentStore store = stores.open(r, false)) {
            RawManifest top = Images.require(store, reg.reference().identifier(), ref);
            String repository = reg.reference().repositoryOnly().toString();
            Verifier.Result res = new Verifier(pub, repo -> stores.open(StoreRef.parse(repo), false)).verify(store, repository, ref, top);
            if (json) {
                ctx.out.println(OciJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(new Json(res.ok(), res)));
            } else {
                ctx.out.println(ref + " (" + res.digest() + ")");
                ctx.out.println("  index signature: " + (res.signed() ? "ok" : "MISSING"));
                for (Verifier.Child c : res.children()) {
                    ctx.out.printf("  %-14s %s  signature %s, provenance %s%s%n", c.platform(), c.digest().substring(0, 19), c.signed() ? "ok" : "MISSING",
                            c.provenanceSigned() ? (c.provenanceSubject() ? "ok" : "ABOUT ANOTHER IMAGE") : "-",
                            c.base() != null ? ", base " + c.base() : "");
                }
                res.problems().forEach(p -> ctx.err.println("polyarch verify: " + p));
                res.children().forEach(c -> c.problems().forEach(p -> ctx.err.println("polyarch verify: " + p)));
                ctx.out.println(res.ok() ? "verified" : "NOT verified");
            }
            return res.ok() ? Main.OK : Main.FAILED;
        }
    }

    record Json(boolean ok, Verifier.Result result) {
    }
}
