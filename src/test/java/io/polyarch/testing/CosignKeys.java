package io.polyarch.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A cosign key pair made by cosign 2.5.0 itself ({@code generate-key-pair}), and cosign run with it at hand. */
public record CosignKeys(Path dir, String password) {
    public static CosignKeys generate(String password) throws java.io.IOException {
        Path dir = Files.createTempDirectory("cosign-keys");
        Tools.run(List.of(Engine.cosign(), "generate-key-pair"), dir, Map.of("COSIGN_PASSWORD", password), 120).requireOk("cosign generate-key-pair");
        return new CosignKeys(dir, password);
    }

    public Path key() {
        return dir.resolve("cosign.key");
    }

    public Path pub() {
        return dir.resolve("cosign.pub");
    }

    /** cosign with these arguments, in the keys' directory, its HOME there too (no state of the user's). */
    public Tools.Result run(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Engine.cosign()));
        cmd.addAll(List.of(args));
        return Tools.run(cmd, dir, Map.of("COSIGN_PASSWORD", password, "HOME", dir.toString()), 120);
    }

    /** {@code cosign verify} of {@code ref} with {@code pub}, offline against a plain-HTTP registry. */
    public Tools.Result verify(String pub, String ref) {
        return run("verify", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", ref);
    }

    /** {@code cosign verify-attestation --type slsaprovenance1} of {@code ref} with {@code pub}. */
    public Tools.Result verifyAttestation(String pub, String ref) {
        return run("verify-attestation", "--key", pub, "--type", "slsaprovenance1", "--insecure-ignore-tlog", "--allow-insecure-registry", ref);
    }
}
