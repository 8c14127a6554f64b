package io.polyarch.pipeline.run;

import io.polyarch.build.BuildException;
import io.polyarch.build.Builder;
import io.polyarch.build.CommandRunner;
import io.polyarch.build.buildah.BuildahBuilder;
import io.polyarch.build.docker.DockerBuilder;
import io.polyarch.oci.Platform;
import io.polyarch.pipeline.spec.PipelineSpec;

import java.util.HashMap;
import java.util.Map;

/** One builder per engine: the local one, and each configured native endpoint. Detected once per run. */
final class Builders implements Engines {
    private final PipelineSpec.BuilderSpec spec;
    private final CommandRunner runner;
    private final Map<String, String> env;
    private final Platform host;
    private final Map<String, Builder> byEndpoint = new HashMap<>();

    Builders(PipelineSpec.BuilderSpec spec, CommandRunner runner, Map<String, String> env, Platform host) {
        this.spec = spec;
        this.runner = runner;
        this.env = env;
        this.host = host;
    }

    @Override
    public synchronized void close() {
        byEndpoint.values().forEach(Builder::close);
    }

    @Override
    public synchronized Builder forPlatform(Platform p) throws RunFailedException, InterruptedException {
        String endpoint = spec.endpointFor(p);
        String key = endpoint == null ? "" : endpoint;
        Builder b = byEndpoint.get(key);
        if (b != null) return b;
        b = create(endpoint, p);
        byEndpoint.put(key, b);
        return b;
    }

    private Builder create(String endpoint, Platform p) throws RunFailedException, InterruptedException {
        DockerBuilder.Mode mode = switch (spec.dockerMode()) {
            case AUTO -> null;
            case BUILDX -> DockerBuilder.Mode.BUILDX;
            case BUILDKIT -> DockerBuilder.Mode.BUILDKIT;
            case LEGACY -> DockerBuilder.Mode.LEGACY;
        };
        try {
            // a buildx builder is docker's, whether the kind is docker or auto (buildah refuses endpoints below)
            if (spec.kind() != PipelineSpec.Kind.BUILDAH && endpoint != null && endpoint.startsWith("buildx:")) {
                return DockerBuilder.detectBuildx(runner, spec.dockerBinary(), endpoint.substring("buildx:".length()), env, host);
            }
            switch (spec.kind()) {
                case DOCKER:
                    return DockerBuilder.detect(runner, spec.dockerBinary(), endpoint, mode, env, host);
                case BUILDAH:
                    if (endpoint != null) {
                        throw new RunFailedException("builder.endpoints (" + p + " → " + endpoint + ") need the docker builder; buildah builds on this machine only");
                    }
                    return BuildahBuilder.detect(runner, env, host);
                default:
                    try {
                        return DockerBuilder.detect(runner, spec.dockerBinary(), endpoint, mode, env, host);
                    } catch (BuildException docker) {
                        if (endpoint != null) throw docker;
                        try {
                            return BuildahBuilder.detect(runner, env, host);
                        } catch (BuildException buildah) {
                            throw new BuildException(docker.getMessage() + "; and " + buildah.getMessage());
                        }
                    }
            }
        } catch (BuildException e) {
            throw new RunFailedException("no builder for " + p + ": " + e.getMessage());
        }
    }
}
