package io.polyarch.cli;

import io.polyarch.git.GitSource;
import io.polyarch.ops.InvalidInputException;
import io.polyarch.pipeline.spec.ConfigException;
import io.polyarch.pipeline.spec.ConfigFiles;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code run} and {@code plan} share: where the source is, which config, and the flags that override it. */
abstract class PipelineOptions extends ContextCommand {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Pipeline config (default: polyarch.yaml, polyarch.yml or a MakeOps values.yaml at the repository root, if present).")
    Path config;

    @Option(names = "--source", paramLabel = "DIR|GIT_URL", description = "The repository to build (default: the checkout containing the current directory). A URL is cloned into a temporary directory.")
    String source;

    @Option(names = "--ref", paramLabel = "BRANCH|TAG|SHA", description = "What to check out of --source (default: its HEAD).")
    String ref;

    @Option(names = "--also-to", paramLabel = "REPOSITORY", description = "Publish the same index to this repository too (repeatable): every child is copied there, and no tag moves anywhere until every destination has them all.")
    List<String> alsoTo = new ArrayList<>();

    @Option(names = "--to", paramLabel = "REPOSITORY|oci:DIR", description = "Publish here instead of the config's destination: HOST[:PORT]/PATH or an OCI layout directory.")
    String to;

    @Option(names = "--platform", paramLabel = "OS/ARCH[,...]", description = "Platforms to build (repeatable or comma-separated; default: the config's, else linux/amd64,linux/arm64).")
    List<String> platforms = new ArrayList<>();

    @Option(names = "--build-arg", paramLabel = "NAME=VALUE", description = "A build argument (repeatable; overrides buildArgs).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--builder", paramLabel = "auto|docker|buildah", description = "The build engine (default: the config's, else auto: docker if an engine answers, else buildah).")
    String builder;

    @Option(names = "--workdir", paramLabel = "DIR", description = "The build context, relative to the repository root (overrides workDir).")
    String workDir;

    @Option(names = {"-f", "--dockerfile"}, paramLabel = "FILE", description = "The Dockerfile, relative to the build context (overrides dockerfile).")
    String dockerfile;

    @Option(names = "--target", paramLabel = "STAGE", description = "The Dockerfile stage to build (overrides target).")
    String target;

    @Option(names = "--no-arch-tags", description = "Push per-platform images by digest only, without <tag>-<arch> tags.")
    boolean noArchTags;

    @Option(names = "--tag-rule", paramLabel = "RULE", description = "A tag rule (repeatable; replaces tagRules): latest, commit, commit-short, branch, semver, or a template like {branch}-{commit-short}.")
    List<String> tagRules = new ArrayList<>();

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "An image label (repeatable; adds to or replaces labels, and the org.opencontainers.image.* labels polyarch sets).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "An annotation on the index and each image manifest (repeatable; adds to or replaces annotations).")
    List<String> annotations = new ArrayList<>();

    @Option(names = "--sign-key", paramLabel = "FILE", description = "Sign with this cosign key file (overrides sign:); its password from COSIGN_PASSWORD.")
    Path signKey;

    Path cwd() {
        return ctx.cwd();
    }

    Path tmp() {
        return Path.of(ctx.env.getOrDefault("TMPDIR", System.getProperty("java.io.tmpdir")));
    }

    /** The checkout to build: the current one, a directory, or a clone of a URL (or of a directory at --ref). */
    GitSource.Checkout checkout() throws Exception {
        if (source != null && GitSource.looksLikeUrl(source)) return GitSource.cloneAt(source, ref, tmp(), ctx.env);
        Path dir = source != null ? cwd().resolve(source) : cwd();
        if (source != null && !Files.isDirectory(dir)) throw new InvalidInputException("--source " + source + ": no such directory (or give a Git URL)");
        if (ref != null) {
            GitSource.Checkout local = GitSource.open(dir, ctx.env);
            GitSource.Checkout c = GitSource.cloneAt(local.root().toUri().toString(), ref, tmp(), ctx.env);
            // the clone's origin is the local directory; the image's source is the checkout's own origin
            return new GitSource.Checkout(c.root(), c.commit(), c.branch(), c.tags(), c.dirty(), c.cloneDir(), c.commitTime(), local.origin());
        }
        return GitSource.open(dir, ctx.env);
    }

    /** The config file ({@link ConfigFiles}: -c, else polyarch.yaml / polyarch.yml / values.yaml at the repository root), or null. */
    Path configFile(GitSource.Checkout checkout) throws ConfigException {
        return ConfigFiles.find(config == null ? null : config.toString(), cwd(), checkout.root()).orElse(null);
    }

    PipelineSpec spec(GitSource.Checkout checkout) throws InvalidInputException, ConfigException {
        Path cfg = configFile(checkout);
        return SpecLoader.load(cfg, new SpecLoader.Overrides(to, platforms, pairs(buildArgs, "--build-arg", "NAME"), builder, workDir, dockerfile,
                target, noArchTags ? Boolean.FALSE : null, tagRules, pairs(labels, "--label", "KEY"), pairs(annotations, "--annotation", "KEY"),
                signKey == null ? null : signKey.toString(), alsoTo));
    }

    private static Map<String, String> pairs(List<String> flags, String flag, String key) throws InvalidInputException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : flags) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new InvalidInputException(flag + " '" + a + "': expected " + key + "=VALUE");
            out.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return out;
    }
}
