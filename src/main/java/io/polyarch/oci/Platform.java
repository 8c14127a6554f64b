package io.polyarch.oci;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An image platform: {@code os/architecture[/variant]}, as in an index's {@code platform} object
 * (<a href="https://github.com/opencontainers/image-spec/blob/main/image-index.md">image-index.md</a>).
 * Parsing normalises the aliases people type (aarch64, x86_64) the way containerd's
 * {@code platforms.Normalize} does, and rejects what no registry would list.
 *
 * <pre>{"architecture": "arm64", "os": "linux", "variant": "v8"}</pre>
 */
public record Platform(String os, String architecture, String variant, String osVersion, List<String> osFeatures)
        implements Comparable<Platform> {

    private static final Set<String> KNOWN_OS = Set.of("linux", "windows", "darwin", "freebsd", "netbsd", "openbsd",
            "solaris", "illumos", "aix", "plan9", "android", "ios", "js", "wasip1", "dragonfly", "unknown");
    private static final Set<String> KNOWN_ARCH = Set.of("amd64", "arm64", "arm", "386", "ppc64le", "ppc64",
            "s390x", "riscv64", "mips64le", "mips64", "mipsle", "mips", "loong64", "wasm", "unknown");
    private static final Map<String, String> ARCH_ALIASES = Map.of(
            "x86_64", "amd64", "x86-64", "amd64", "aarch64", "arm64", "armhf", "arm", "armel", "arm",
            "i386", "386", "i686", "386");

    public Platform {
        if (os == null || os.isBlank()) throw new IllegalArgumentException("platform has no os");
        if (architecture == null || architecture.isBlank()) throw new IllegalArgumentException("platform has no architecture");
        variant = variant == null || variant.isBlank() ? null : variant;
        osVersion = osVersion == null || osVersion.isBlank() ? null : osVersion;
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public Platform(String os, String architecture, String variant) {
        this(os, architecture, variant, null, List.of());
    }

    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);
    public static final Platform LINUX_ARM64 = new Platform("linux", "arm64", null);

    /**
     * Parses {@code linux/arm64}, {@code linux/arm/v7}, {@code linux/aarch64} (normalised to arm64).
     * Throws with a message that lists the accepted form.
     */
    public static Platform parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty platform: expected os/arch[/variant], e.g. linux/arm64");
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("invalid platform '" + text + "': expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7");
        }
        for (String p : parts) {
            if (p.isEmpty()) throw new IllegalArgumentException("invalid platform '" + text + "': empty part; expected os/arch[/variant]");
        }
        String os = parts[0];
        String arch = ARCH_ALIASES.getOrDefault(parts[1], parts[1]);
        if (!KNOWN_OS.contains(os)) {
            throw new IllegalArgumentException("unknown os '" + parts[0] + "' in platform '" + text + "': expected one of linux, windows, darwin, ...");
        }
        if (!KNOWN_ARCH.contains(arch)) {
            throw new IllegalArgumentException("unknown architecture '" + parts[1] + "' in platform '" + text
                    + "': expected one of amd64, arm64, arm, 386, ppc64le, s390x, riscv64");
        }
        String variant = parts.length == 3 ? parts[2] : null;
        java.util.regex.Pattern valid = VARIANTS.get(arch);
        if (variant != null && (valid != null ? !valid.matcher(variant).matches() : !variant.matches("[a-z0-9][a-z0-9._-]{0,31}"))) {
            throw new IllegalArgumentException("unknown variant '" + parts[2] + "' in platform '" + text + "'" + switch (arch) {
                case "arm64" -> ": arm64 variants are v8 and v9 (v8.1, v9.2, ...)";
                case "arm" -> ": arm variants are v5, v6, v7 and v8";
                case "amd64" -> ": amd64 variants are v1 to v4";
                default -> "";
            });
        }
        return new Platform(os, arch, variant);
    }

    /** The variants the OCI image spec lists for the architectures that have them (platform variants table). */
    private static final Map<String, java.util.regex.Pattern> VARIANTS = Map.of(
            "arm64", java.util.regex.Pattern.compile("v8(\\.[0-9])?|v9(\\.[0-9])?"),
            "arm", java.util.regex.Pattern.compile("v[5-8]"),
            "amd64", java.util.regex.Pattern.compile("v[1-4]"));

    /**
     * The form used to compare two platforms: arm64's "v8" is its default variant and amd64's "v1" likewise,
     * so {@code linux/arm64} and {@code linux/arm64/v8} are the same platform (containerd does the same).
     */
    public Platform normalized() {
        String arch = ARCH_ALIASES.getOrDefault(architecture.toLowerCase(Locale.ROOT), architecture.toLowerCase(Locale.ROOT));
        String v = variant;
        if (("arm64".equals(arch) && "v8".equals(v)) || ("amd64".equals(arch) && "v1".equals(v))) v = null;
        if ("arm".equals(arch) && v == null) v = "v7";
        return new Platform(os.toLowerCase(Locale.ROOT), arch, v, osVersion, osFeatures);
    }

    /** True when both name the same os/architecture/variant after normalisation (os.version is not compared). */
    public boolean matches(Platform other) {
        Platform a = normalized();
        Platform b = other.normalized();
        return a.os.equals(b.os) && a.architecture.equals(b.architecture) && java.util.Objects.equals(a.variant, b.variant);
    }

    /** A key for "same platform" checks: os/arch[/variant] normalised. */
    public String key() {
        return normalized().toString();
    }

    public boolean isUnknown() {
        return "unknown".equals(os) && "unknown".equals(architecture);
    }

    /** The architecture as `uname -m` reports it inside the container. */
    public String unameMachine() {
        return switch (normalized().architecture) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            case "arm" -> "armv7l";
            case "386" -> "i686";
            default -> architecture;
        };
    }

    /** The platform of a JVM's host from its {@code os.name} and {@code os.arch}, normalised. */
    public static Platform of(String osName, String osArch) {
        String arch = osArch;
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("mac")) os = "darwin";
        else if (os.startsWith("windows")) os = "windows";
        return new Platform(os, ARCH_ALIASES.getOrDefault(arch, arch), null);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }

    @Override
    public int compareTo(Platform o) {
        return toString().compareTo(o.toString());
    }
}
