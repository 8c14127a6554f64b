package io.polyarch.build;

import io.polyarch.oci.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether this machine can run another architecture's programs: QEMU user emulation registered with
 * binfmt_misc, which is what lets a Docker engine execute {@code RUN} steps of a foreign image.
 */
public final class Emulation {
    private Emulation() {
    }

    /** The ELF machine name QEMU uses for an architecture. */
    public static String qemuName(Platform p) {
        return switch (p.normalized().architecture()) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            case "arm" -> "arm";
            case "386" -> "i386";
            default -> p.normalized().architecture();
        };
    }

    /** True when {@code host} runs {@code target} natively (same architecture, or 386 on amd64, arm on arm64 is not assumed). */
    public static boolean isNative(Platform host, Platform target) {
        Platform h = host.normalized();
        Platform t = target.normalized();
        if (!h.os().equals(t.os())) return false;
        if (h.architecture().equals(t.architecture())) return true;
        return h.architecture().equals("amd64") && t.architecture().equals("386");
    }

    /**
     * Whether binfmt_misc is mounted at {@code binfmtDir} (its {@code register} file is there): in a container it
     * usually is not, and the handlers of the engine's host cannot be seen from here.
     */
    public static boolean visible(Path binfmtDir) {
        return Files.exists(binfmtDir.resolve("register"));
    }

    /** An enabled binfmt_misc handler for the target's architecture, if one is registered in {@code binfmtDir}. */
    public static Optional<String> handler(Path binfmtDir, Platform target) {
        String name = qemuName(target);
        if (!Files.isDirectory(binfmtDir)) return Optional.empty();
        try {
            Path status = binfmtDir.resolve("status");
            if (Files.isRegularFile(status) && Files.readString(status).strip().equals("disabled")) return Optional.empty();
            try (Stream<Path> s = Files.list(binfmtDir)) {
                for (Path p : s.toList()) {
                    String f = p.getFileName().toString();
                    if (f.equals("status") || f.equals("register") || !Files.isRegularFile(p)) continue;
                    String text = Files.readString(p);
                    boolean enabled = text.lines().findFirst().orElse("").strip().equals("enabled");
                    boolean forArch = f.equals("qemu-" + name) || text.lines().anyMatch(l -> l.startsWith("interpreter") && l.contains(name));
                    if (enabled && forArch) return Optional.of(f);
                }
            }
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** What to tell a user whose machine cannot build {@code target}. */
    public static String howToEnable(Platform host, Platform target) {
        String q = qemuName(target);
        return "this machine (" + host + ") cannot run " + target + " programs: no binfmt_misc handler for qemu-" + q + ". "
                + "Enable emulation (Debian, as root: apt-get install qemu-user-static binfmt-support && update-binfmts --enable qemu-" + q
                + "; or: docker run --privileged --rm tonistiigi/binfmt --install " + target.normalized().architecture() + "), "
                + "or build " + target + " on a native engine: builder: {endpoints: {" + target + ": ssh://user@host}}";
    }
}
