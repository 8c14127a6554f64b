package io.polyarch.cli;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.layout.OciLayoutStore;
import picocli.CommandLine.Command;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * A representative workload the launcher runs once after building, so that the JVM's ahead-of-time cache
 * (JDK 25+) or class-data archive holds the classes every command needs: start-up is most of a small command's time.
 */
@Command(name = "train", hidden = true, description = "Internal: warm the JVM start-up cache.")
final class TrainCommand extends ContextCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("polyarch-train");
        try {
            OciLayoutStore src = OciLayoutStore.open(dir.resolve("a"), true);
            for (Platform p : List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64)) {
                byte[] layer = new byte[1 << 20];
                layer[0] = (byte) p.architecture().length();
                Descriptor l = Descriptor.of(MediaType.OCI_LAYER, layer);
                src.putBlob(l, () -> new ByteArrayInputStream(layer));
                byte[] cfg = ("{\"architecture\":\"" + p.architecture() + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                        + l.digest() + "\"]}}").getBytes();
                Descriptor c = Descriptor.of(MediaType.OCI_CONFIG, cfg);
                src.putBlob(c, () -> new ByteArrayInputStream(cfg));
                src.putManifest(RawManifest.of(MediaType.OCI_MANIFEST,
                        OciJson.write(new ImageManifest(MediaType.OCI_MANIFEST, c, List.of(l), null, null, Map.of()))), p.architecture());
            }
            String a = "oci:" + dir.resolve("a");
            String b = "oci:" + dir.resolve("b");
            var quiet = new java.io.PrintWriter(java.io.Writer.nullWriter());
            Main.execute(new String[]{"index", "create", "-q", "--to", a + ":v1", a + ":amd64", a + ":arm64"}, quiet, quiet, ctx.env);
            Main.execute(new String[]{"copy", "--all", "-q", "--json", a + ":v1", b + ":v1"}, quiet, quiet, ctx.env);
            Main.execute(new String[]{"inspect", "--json", b + ":v1"}, quiet, quiet, ctx.env);
            Main.execute(new String[]{"inspect", "no such ref"}, quiet, quiet, ctx.env);
            // the front half of `run`: a Git checkout, the config, tag rules, the Dockerfile (no engine needed)
            Path repo = dir.resolve("repo");
            Files.createDirectories(repo);
            Files.writeString(repo.resolve("Dockerfile"), "ARG BASE=localhost:5000/base\nFROM ${BASE}\nARG ARCH\nRUN echo $ARCH\n");
            Files.writeString(repo.resolve("polyarch.yaml"), "destination: {registry: {repository: localhost:5000/app, tagRules: [latest, commit-short, branch]}}\n");
            io.polyarch.git.GitSource.commitAll(repo, "main", "train");
            var checkout = io.polyarch.git.GitSource.open(repo, Map.of());
            var spec = io.polyarch.pipeline.spec.SpecLoader.load(repo.resolve("polyarch.yaml"), io.polyarch.pipeline.spec.SpecLoader.Overrides.none());
            io.polyarch.pipeline.plan.PlanBuilder.build(spec, checkout, true);
            OciJson.mapper().writeValueAsString(io.polyarch.pipeline.run.RunSummary.sample());
            Main.execute(new String[]{"run", "--help"}, quiet, quiet, ctx.env);
            return Main.OK;
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
