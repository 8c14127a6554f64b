package io.polyarch.pipeline.run;

import io.polyarch.build.Dockerfile;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.oci.Reference;
import io.polyarch.ops.Stores;
import io.polyarch.ops.Workers;
import io.polyarch.store.ContentStore;
import io.polyarch.store.NotFoundException;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pins every FROM image of a Dockerfile to the digest of the image for the platform being built, so that every
 * platform builds on the same snapshot of its base even if a tag moves mid-run, and two builds on one engine
 * cannot race on a shared base tag. Each FROM image is looked up once per run, on the run's pool, from the moment
 * it is known ({@link #prefetch}).
 */
final class BasePinner {
    /** FROM lines pinned to digests (line to {@code repo@sha256:...}), whether all were, and why not. */
    record Pinned(Map<Integer, String> lines, boolean complete, boolean insecure, List<String> problems) {
        Pinned {
            lines = Map.copyOf(lines);
            problems = List.copyOf(problems);
        }

        /** The pinned image under the stage that is built (following FROM other-stage links), or null. */
        Reference finalBase(Dockerfile df, String target) {
            List<Dockerfile.From> froms = df.froms();
            Dockerfile.From f = target == null ? froms.get(froms.size() - 1)
                    : froms.stream().filter(x -> target.equalsIgnoreCase(x.stageName())).findFirst().orElse(null);
            for (int hops = 0; f != null && hops <= froms.size(); hops++) {
                String pinnedRef = lines.get(f.line());
                if (pinnedRef != null) return Reference.parse(pinnedRef);
                String img = f.image().toLowerCase(Locale.ROOT);
                int idx = froms.indexOf(f);
                f = froms.subList(0, idx).stream().filter(x -> img.equals(x.stageName())).reduce((a, b) -> b).orElse(null);
            }
            return null;
        }
    }

    /**
     * A FROM line that names an image (not a stage, not scratch): the image with ARGs expanded and the platform it is
     * pulled for; or, when it cannot be told, why not ({@code ref} null).
     */
    record FromImage(Dockerfile.From from, String image, Reference ref, Platform platform, String problem) {
    }

    private final Stores stores;
    private final Workers workers;
    private final Map<String, CompletableFuture<Optional<RawManifest>>> byRef = new ConcurrentHashMap<>();

    BasePinner(Stores stores, Workers workers) {
        this.stores = stores;
        this.workers = workers;
    }

    /** Starts the lookup of every FROM image this Dockerfile pulls for {@code p} on an engine of platform {@code bp}. */
    void prefetch(Dockerfile df, Platform p, Platform bp, Map<String, String> buildArgs) {
        for (FromImage f : fromImages(df, p, bp, buildArgs)) {
            if (f.ref() != null && f.ref().digest() == null) start(f.ref());
        }
    }

    /** The FROM lines of {@code df} built for {@code p} on an engine of platform {@code bp}, pinned where they can be. */
    Pinned pin(Dockerfile df, Platform p, Platform bp, Map<String, String> buildArgs) throws InterruptedException {
        Map<Integer, String> lines = new HashMap<>();
        List<String> problems = new ArrayList<>();
        boolean insecure = false;
        for (FromImage f : fromImages(df, p, bp, buildArgs)) {
            if (f.ref() == null) {
                problems.add(f.problem());
                continue;
            }
            Reference ref = f.ref();
            insecure |= stores.plainHttp(ref.registry());
            if (ref.digest() != null) continue;
            try {
                Optional<RawManifest> m = Workers.await(start(ref));
                if (m.isEmpty()) {
                    problems.add(f.image() + " not found");
                    continue;
                }
                Digest d = m.get().digest();
                Manifest parsed = m.get().parse();
                if (parsed instanceof ImageIndex idx) {
                    Optional<Descriptor> child = idx.manifests().stream()
                            .filter(x -> x.platform() != null && !x.isAttestation() && x.platform().matches(f.platform())).findFirst();
                    if (child.isEmpty()) {
                        problems.add(f.image() + " has no " + f.platform() + " image");
                        continue;
                    }
                    d = child.get().digest();
                }
                lines.put(f.from().line(), ref.repositoryOnly().withDigest(d).toString());
            } catch (IllegalArgumentException | StoreException e) {
                problems.add(f.from().image() + ": " + e.getMessage());
            }
        }
        return new Pinned(lines, problems.isEmpty(), insecure, problems);
    }

    private CompletableFuture<Optional<RawManifest>> start(Reference ref) {
        return byRef.computeIfAbsent(ref.toString(), k -> workers.async(() -> {
            try (ContentStore s = stores.open(new StoreRef.Registry(ref), false)) {
                return s.getManifest(ref.identifier());
            } catch (NotFoundException e) {
                return Optional.<RawManifest>empty();
            }
        }));
    }

    /** The images the FROM lines of {@code df} pull when it is built for {@code p} on an engine of platform {@code bp}. */
    static List<FromImage> fromImages(Dockerfile df, Platform p, Platform bp, Map<String, String> buildArgs) {
        Map<String, String> args = new HashMap<>(buildArgs);
        putPlatformArgs(args, "TARGET", p);
        putPlatformArgs(args, "BUILD", bp);
        List<FromImage> out = new ArrayList<>();
        Set<String> stages = new HashSet<>();
        for (Dockerfile.From f : df.froms()) {
            try {
                if (f.isStageOrScratch(stages)) continue;
                String img = df.expand(f.image(), args);
                if (img == null) {
                    out.add(new FromImage(f, f.image(), null, null, "FROM " + f.image() + " uses an ARG with no value"));
                    continue;
                }
                if (stages.contains(img.toLowerCase(Locale.ROOT)) || img.equalsIgnoreCase("scratch")) continue;
                Platform fp = p;
                if (f.platformFlag() != null) {
                    String flag = df.expand(f.platformFlag(), args);
                    if (flag == null) {
                        out.add(new FromImage(f, img, null, null, "FROM --platform=" + f.platformFlag() + " uses an ARG with no value"));
                        continue;
                    }
                    fp = Platform.parse(flag);
                }
                out.add(new FromImage(f, img, Reference.parse(img), fp, null));
            } catch (IllegalArgumentException e) {
                out.add(new FromImage(f, f.image(), null, null, f.image() + ": " + e.getMessage()));
            } finally {
                if (f.stageName() != null) stages.add(f.stageName());
            }
        }
        return out;
    }

    private static void putPlatformArgs(Map<String, String> args, String prefix, Platform p) {
        args.put(prefix + "PLATFORM", p.toString());
        args.put(prefix + "OS", p.os());
        args.put(prefix + "ARCH", p.architecture());
        args.put(prefix + "VARIANT", p.variant() == null ? "" : p.variant());
    }
}
