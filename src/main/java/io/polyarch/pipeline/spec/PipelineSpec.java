package io.polyarch.pipeline.spec;

import io.polyarch.oci.Platform;
import io.polyarch.store.StoreRef;
import io.polyarch.tags.TagRule;

import java.util.List;
import java.util.Map;

/**
 * Everything one pipeline needs, from {@code polyarch.yaml}, a MakeOps {@code values.yaml} or flags: the
 * same record whichever front end made it.
 *
 * @param origin      where it was read from, for messages ({@code polyarch.yaml} or {@code (flags)})
 * @param workDir     the build context, relative to the repository root
 * @param dockerfile  relative to the build context
 * @param archBuildArg the build argument that receives the architecture name (MakeOps passes {@code ARCH}); empty disables
 * @param archNames   platform ({@code linux/arm64}) or architecture ({@code arm64}) → the name used in arch tags and {@code archBuildArg}
 */
public record PipelineSpec(String origin, String pipelineName, Github github, String workDir, Destination destination,
                           List<Platform> platforms, String dockerfile, Map<String, String> buildArgs, String target,
                           String archBuildArg, boolean archTags, Map<String, String> archNames, List<TagRule> tagRules,
                           BuilderSpec builder, int parallelism, TestSpec test, boolean fastFail, List<Variant> variants, SociSpec soci,
                           Metadata metadata, BuildOptions buildOptions, List<Mirror> mirrors) {
    public PipelineSpec {
        mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
        if (metadata == null) metadata = Metadata.DEFAULT;
        if (buildOptions == null) buildOptions = BuildOptions.NONE;
        platforms = List.copyOf(platforms);
        buildArgs = Map.copyOf(buildArgs);
        archNames = Map.copyOf(archNames);
        tagRules = List.copyOf(tagRules);
        variants = variants == null || variants.isEmpty()
                ? List.of(new Variant("", Map.of(), dockerfile, target, tagRules, false)) : List.copyOf(variants);
    }

    /**
     * One cell of the build matrix (without a matrix, the only one, named ""): its variables are build arguments
     * and tag-template placeholders; it may have its own Dockerfile, target and tag rules. With {@code ignoreFailure}
     * its failure is reported but does not fail the run (CodeBuild batch's ignore-failure).
     */
    public record Variant(String name, Map<String, String> vars, String dockerfile, String target, List<TagRule> tagRules,
                          boolean ignoreFailure) {
        public Variant {
            vars = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(vars));
            tagRules = List.copyOf(tagRules);
        }

        /** For messages: {@code VERSION=3.11}, or "" for a pipeline without a matrix. */
        @Override
        public String toString() {
            return name;
        }
    }

    /** The same pipeline publishing elsewhere (an ECR destination once resolved to its registry repository). */
    public PipelineSpec withDestination(Destination d) {
        return new PipelineSpec(origin, pipelineName, github, workDir, d, platforms, dockerfile, buildArgs, target, archBuildArg, archTags,
                archNames, tagRules, builder, parallelism, test, fastFail, variants, soci, metadata, buildOptions, mirrors);
    }

    /** The same pipeline with its other destinations resolved (ECR ones to their registry repositories). */
    public PipelineSpec withMirrors(List<Mirror> m) {
        return new PipelineSpec(origin, pipelineName, github, workDir, destination, platforms, dockerfile, buildArgs, target, archBuildArg, archTags,
                archNames, tagRules, builder, parallelism, test, fastFail, variants, soci, metadata, buildOptions, m);
    }

    /**
     * A destination after the first of {@code destinations:} ({@code --also-to}): it gets the same index, by the same
     * digest, with its children, signatures and attestations, before any tag moves anywhere; then its tags.
     *
     * @param tagRules its own tag rules; empty: the same tags as the first destination
     */
    public record Mirror(Destination destination, List<TagRule> tagRules) {
        public Mirror {
            tagRules = List.copyOf(tagRules);
        }

        public Mirror withDestination(Destination d) {
            return new Mirror(d, tagRules);
        }
    }

    /**
     * What polyarch writes about each image besides its tags: image labels (in each config) and annotations (on the
     * index and each image manifest) added to, or replacing, the {@code org.opencontainers.image.*} ones it sets
     * itself; values may use the tag rules' placeholders ({@code {commit}}). {@code provenance}: attach SLSA provenance.
     */
    public record Metadata(Map<String, String> labels, Map<String, String> annotations, boolean provenance, Sign sign) {
        public static final Metadata DEFAULT = new Metadata(Map.of(), Map.of(), true, null);

        public Metadata {
            labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
            annotations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(annotations));
        }
    }

    public boolean hasMatrix() {
        return variants.size() > 1 || !variants.get(0).name().isEmpty();
    }

    /**
     * Commands run inside each platform's image after it is built and before it is pushed (under QEMU for a foreign
     * platform); any failure or a timeout stops that platform, so no index is published.
     */
    public record TestSpec(List<String> commands, java.time.Duration timeout, boolean ignoreFailure) {
        public TestSpec {
            commands = List.copyOf(commands);
        }
    }

    /**
     * A SOCI index for every platform's image, made after its push and before the index tags move ({@code null}: none).
     *
     * @param format {@code v2} (an annotated image index) or {@code v1} (a referrer with a subject)
     */
    public record SociSpec(String format, long spanSize, long minLayerSize) {
    }

    /**
     * {@code build:}: the network of RUN steps, build secrets by where they come from (never their values), SSH agents
     * or keys; the flags {@code --network}, {@code --secret}, {@code --ssh} add to or replace them.
     */
    public record BuildOptions(String network, Map<String, SecretRef> secrets, List<String> ssh) {
        public static final BuildOptions NONE = new BuildOptions(null, Map.of(), List.of());

        public BuildOptions {
            secrets = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(secrets));
            ssh = List.copyOf(ssh);
        }
    }

    /** Where a build secret comes from: a file ({@code src}) or an environment variable ({@code env}); one of the two. */
    public record SecretRef(String src, String env) {
    }

    /**
     * How to sign ({@code sign:}): a cosign key file ({@code key}, relative to the working directory) or an AWS KMS key
     * ({@code kms: awskms:///ARN-or-alias}); exactly one.
     */
    public record Sign(String key, String kms, String origin) {
    }

    public static final List<Platform> DEFAULT_PLATFORMS = List.of(Platform.LINUX_AMD64, Platform.LINUX_ARM64);

    /** The MakeOps source block; polyarch run ignores it (the AWS deployment uses it). */
    public record Github(String owner, String repo, String branch, String connectionArn, boolean triggerOnPush) {
    }

    public sealed interface Destination {
        /** Where it was configured, for messages. */
        String origin();
    }

    /**
     * Any OCI registry repository, or an OCI layout directory ({@code oci:DIR}).
     *
     * @param credentialsSecret an AWS Secrets Manager secret ARN whose JSON {@code {"username": ..., "password": ...}}
     *                          opens this repository's registry (and no other), or null: the docker config's
     */
    public record Target(StoreRef ref, String origin, String credentialsSecret) implements Destination {
        public Target(StoreRef ref, String origin) {
            this(ref, origin, null);
        }
    }

    /**
     * Amazon ECR; needs AWS.
     *
     * @param lifecycle the lifecycle policy the AWS deployment gives the repository, or null for none
     */
    public record Ecr(String repoName, boolean exists, String region, String accountId, String origin, Lifecycle lifecycle) implements Destination {
        public Ecr(String repoName, boolean exists, String region, String accountId, String origin) {
            this(repoName, exists, region, accountId, origin, null);
        }
    }

    /**
     * {@code ecr.lifecycle}: what an ECR lifecycle policy may expire (0 turns a rule off).
     *
     * @param untaggedDays      untagged images pushed more than this many days ago (superseded caches, indexes no tag names)
     * @param unpublishedBuilds images known only by a build-key tag (built, never published): all but the newest this many
     */
    public record Lifecycle(int untaggedDays, int unpublishedBuilds) {
        public static final Lifecycle DEFAULT = new Lifecycle(14, 50);
    }

    public record BuilderSpec(Kind kind, DockerMode dockerMode, String dockerBinary, Map<String, String> endpoints) {
        public BuilderSpec {
            endpoints = Map.copyOf(endpoints);
        }

        public static BuilderSpec defaults() {
            return new BuilderSpec(Kind.AUTO, DockerMode.AUTO, null, Map.of());
        }

        /** The endpoint configured for a platform ({@code DOCKER_HOST} form), or null for the local engine. */
        public String endpointFor(Platform p) {
            String e = endpoints.get(p.key());
            if (e == null) e = endpoints.get(p.normalized().architecture());
            return e;
        }
    }

    public enum Kind { AUTO, DOCKER, BUILDAH }

    /** How to reach BuildKit through the docker CLI; LEGACY is the classic builder (always with --pull). */
    public enum DockerMode { AUTO, BUILDX, BUILDKIT, LEGACY }

    /** The name of a platform in arch tags and the arch build argument: {@code amd64}, {@code arm64}, {@code armv7}. */
    public String archName(Platform p) {
        String n = archNames.get(p.key());
        if (n == null) n = archNames.get(p.toString());
        if (n == null) n = archNames.get(p.normalized().architecture());
        if (n != null) return n;
        Platform q = p.normalized();
        return q.architecture() + ("arm".equals(q.architecture()) && q.variant() != null ? q.variant() : "");
    }
}
