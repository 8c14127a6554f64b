package io.polyarch.pipeline.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.git.GitSource;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.Reference;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.sign.Cosign;

import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SLSA v1 provenance of one platform's image (an in-toto statement whose subject is that image manifest): the
 * builder (the engine, or the CodeBuild build that ran polyarch), the parameters a user gave (repository, commit, ref,
 * Dockerfile, target, build args, platform), what the build resolved (the source commit, each FROM image at the digest
 * pinned for this platform), the build key as a byproduct, and when the build ran.
 */
final class Provenance {
    static final String BUILD_TYPE = "https://polyarch.dev/buildtypes/dockerfile/v1";
    /** Build args whose names say they hold a secret are listed without their values. */
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(pass|secret|token|credential|private|api_?key|auth).*");

    /** What the statement is made from; {@code pinned} maps each FROM line to {@code ref@digest}. */
    record Facts(String repository, Digest subject, GitSource.Checkout src, Plan.Variant variant, Plan.Cell cell, String dockerfile,
                 Map<Integer, String> pinned, String builder, String buildKey, Instant started, Instant finished, Map<String, String> env) {
    }

    private Provenance() {
    }

    static byte[] statement(Facts f) {
        ObjectNode st = OciJson.mapper().createObjectNode();
        st.put("_type", "https://in-toto.io/Statement/v1");
        st.putArray("subject").addObject().put("name", f.repository()).putObject("digest").put(f.subject().algorithm(), f.subject().hex());
        st.put("predicateType", Cosign.SLSA_PROVENANCE_V1);
        ObjectNode pred = st.putObject("predicate");
        ObjectNode def = pred.putObject("buildDefinition");
        def.put("buildType", BUILD_TYPE);
        ObjectNode ext = def.putObject("externalParameters");
        String source = f.variant().annotations().getOrDefault(io.polyarch.pipeline.plan.ImageMetadata.SOURCE, f.src().origin());
        if (source != null) ext.put("repository", source);
        ext.put("commit", f.src().commit());
        if (f.src().branch() != null) ext.put("ref", "refs/heads/" + f.src().branch());
        ext.put("dockerfile", f.dockerfile());
        if (f.variant().spec().target() != null) ext.put("target", f.variant().spec().target());
        ObjectNode args = ext.putObject("buildArgs");
        f.cell().buildArgs().forEach((k, v) -> args.put(k, SECRET_NAME.matcher(k).matches() ? "(not recorded: the name says it is a secret)" : v));
        ext.put("platform", f.cell().platform().toString());
        ArrayNode deps = def.putArray("resolvedDependencies");
        ObjectNode git = deps.addObject();
        git.put("uri", "git+" + (source != null ? source : f.src().root().toUri().toString()) + "@" + f.src().commit());
        git.putObject("digest").put(f.src().commit().length() == 64 ? "sha256" : "sha1", f.src().commit());
        for (String ref : new java.util.TreeMap<>(f.pinned()).values()) {
            Reference r;
            try {
                r = Reference.parse(ref);
            } catch (IllegalArgumentException notPinned) {
                continue;
            }
            if (r.digest() == null) continue;
            ObjectNode dep = deps.addObject();
            dep.put("uri", "pkg:docker/" + r.repositoryOnly() + "?platform=" + f.cell().platform().toString().replace("/", "%2F"));
            dep.putObject("digest").put(r.digest().algorithm(), r.digest().hex());
        }
        ObjectNode run = pred.putObject("runDetails");
        ObjectNode builder = run.putObject("builder");
        String arn = f.env().get("CODEBUILD_BUILD_ARN");
        builder.put("id", arn != null ? arn : "https://polyarch.dev/builders/local");
        ObjectNode version = builder.putObject("version");
        version.put("polyarch", RegistryOptions.version());
        version.put("engine", f.builder());
        if (f.env().get("CODEBUILD_PROJECT") != null || f.env().get("CODEBUILD_BUILD_ID") != null) {
            version.put("codebuildBuildId", f.env().getOrDefault("CODEBUILD_BUILD_ID", ""));
        }
        ObjectNode meta = run.putObject("metadata");
        if (f.env().get("CODEBUILD_BUILD_ID") != null) meta.put("invocationId", f.env().get("CODEBUILD_BUILD_ID"));
        if (f.started() != null) meta.put("startedOn", f.started().toString());
        if (f.finished() != null) meta.put("finishedOn", f.finished().toString());
        ArrayNode by = run.putArray("byproducts");
        if (f.buildKey() != null) by.addObject().put("name", "polyarch build key").putObject("digest").put("sha256", f.buildKey());
        return OciJson.bytes(st);
    }

    /** The same statement about another manifest (an image's SOCI v2 annotated copy, which is what the index lists). */
    static byte[] resubject(com.fasterxml.jackson.databind.JsonNode statement, Digest subject) {
        ObjectNode st = statement.deepCopy();
        ArrayNode subjects = st.putArray("subject");
        String name = statement.path("subject").path(0).path("name").asText("");
        subjects.addObject().put("name", name).putObject("digest").put(subject.algorithm(), subject.hex());
        return OciJson.bytes(st);
    }
}
