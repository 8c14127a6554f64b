package io.polyarch.build;

import io.polyarch.oci.Platform;

/**
 * Builds one platform's image from a context and leaves it in an OCI image layout directory, whatever the
 * engine (docker with BuildKit or the classic builder, buildah). Publishing is not a builder's job: the
 * pipeline pushes from the layout through polyarch's own registry client.
 */
public interface Builder extends AutoCloseable {
    /** For messages: {@code docker 20.10.24 (BuildKit) on unix:///var/run/docker.sock}. */
    String describe();

    /** The platform this builder's engine runs natively. */
    Platform nativePlatform();

    /** True when builds on this engine may run foreign RUN steps only through this machine's binfmt handlers. */
    boolean usesLocalEmulation();

    /** True when two builds on this engine can race on a shared base tag unless their FROMs are pinned by digest. */
    /** Why this engine cannot honour these build options (the classic docker builder has no secrets), or empty. */
    default java.util.Optional<String> cannot(BuildExtras extras) {
        return java.util.Optional.empty();
    }

    boolean needsPinnedBases();

    BuildOutput build(BuildRequest request, BuildLog log) throws BuildException, InterruptedException;

    /**
     * Runs {@code command} with {@code sh -c} inside the built image, for its platform; fails on a non-zero exit or
     * after {@code timeout}, with the command's last output lines in the message.
     */
    default void test(BuildOutput image, io.polyarch.oci.Platform platform, String command, java.time.Duration timeout, BuildLog log)
            throws BuildException, InterruptedException {
        throw new BuildException(describe() + " cannot run test commands; use the docker builder for a test stage");
    }

    /** Waits for clean-up left running in the background (removing temporary local images). */
    @Override
    default void close() {
    }
}
