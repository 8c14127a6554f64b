package io.polyarch.build.docker;

import io.polyarch.build.BuildException;
import io.polyarch.build.BuildLog;
import io.polyarch.build.BuildOutput;
import io.polyarch.build.BuildRequest;
import io.polyarch.build.Builder;
import io.polyarch.build.CommandRunner;
import io.polyarch.build.LogTail;
import io.polyarch.layout.OciLayoutStore;
import io.polyarch.oci.Platform;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Builds with a Docker engine through the docker CLI: {@code docker buildx build --load} when the client has
 * buildx, {@code DOCKER_BUILDKIT=1 docker build} with a pre-23 client, else the classic builder (always with
 * {@code --pull}, which otherwise reuses a local base image of the wrong architecture). The image comes back
 * with {@code docker save}, so the engine needs no registry credentials and may be remote
 * ({@code DOCKER_HOST=ssh://...}).
 */
public final class DockerBuilder implements Builder {
    public enum Mode { BUILDX, BUILDKIT, LEGACY }

    private final CommandRunner runner;
    private final String binary;
    private final String endpoint;
    private final Mode mode;
    private final Map<String, String> env;
    private final String clientVersion;
    private final String serverVersion;
    private final Platform nativePlatform;
    private final boolean linuxClient; // the client's plugin directories and default socket are the Linux ones
    private final boolean containerdStore; // the engine keeps images in containerd (BuildKit's OCI exporter works there)
    private final String buildxBuilder;    // a buildx builder with a driver of its own (docker-container, kubernetes, remote), or null
    /** Classic builds whose bases could not be pinned take turns: they would race on the shared base tag. */
    private final ReentrantLock engineLock = new ReentrantLock();

    private DockerBuilder(CommandRunner runner, String binary, String endpoint, Mode mode, Map<String, String> env,
                          String clientVersion, String serverVersion, Platform nativePlatform, boolean linuxClient, boolean containerdStore,
                          String buildxBuilder) {
        this.runner = runner;
        this.binary = binary;
        this.endpoint = endpoint;
        this.mode = mode;
        this.env = env;
        this.clientVersion = clientVersion;
        this.serverVersion = serverVersion;
        this.nativePlatform = nativePlatform;
        this.linuxClient = linuxClient;
        this.containerdStore = containerdStore;
        this.buildxBuilder = buildxBuilder;
    }

    /**
     * Finds a docker client that can reach {@code endpoint} (null: the default engine) and picks the best mode.
     *
     * @param binary   a configured client, or null to try {@code docker} on PATH and then {@code /usr/bin/docker}
     * @param want     null for auto
     * @param baseEnv  the environment to run the client with
     * @param host     this machine's platform (where the client looks for its plugins and its engine's socket)
     */
    public static DockerBuilder detect(CommandRunner runner, String binary, String endpoint, Mode want, Map<String, String> baseEnv,
                                       Platform host) throws BuildException, InterruptedException {
        Map<String, String> env = new HashMap<>(baseEnv);
        if (endpoint != null) env.put("DOCKER_HOST", endpoint);
        List<String> candidates = binary != null ? List.of(binary) : ClientLookup.defaultCandidates(env);
        List<String> problems = new ArrayList<>();
        DockerBuilder legacyFallback = null;
        // A client seen before (the same binary and buildx plugin files) is not asked again: what it said is in the
        // user's cache, and the engine is asked on its socket, where the client would use that socket. Else each
        // candidate's probes at once (each is a process start and an engine round trip), one candidate after the
        // other: the first usually answers, and probing every candidate at once started twice the processes on a
        // machine whose cores the builds need next (bench/peers.sh). `buildx version` only where a buildx plugin could
        // be found: without one it is a client start that can only fail.
        // where the client would load buildx from: looked up once, for the probes and for every candidate's cache key
        Optional<Optional<Path>> plugin = ClientLookup.onLinux(host) ? ClientLookup.buildxPlugin(env) : Optional.empty();
        boolean buildxPossible = ClientLookup.buildxPluginMayExist(plugin, host);
        ClientFacts cache = ClientFacts.of(env);
        EngineSocket.Engine engine = null;
        boolean engineAsked = false;
        boolean engineStoreAsked = false;
        for (String bin : candidates) {
            Optional<String> key = ClientFacts.key(bin, env, host, plugin);
            Optional<ClientFacts.Facts> known = key.flatMap(cache::get);
            // the image store matters only to a buildx client: /info is asked then, once
            if (known.isPresent() && (!engineAsked || engine != null && known.get().buildx() && !engineStoreAsked)) {
                engineAsked = true;
                engineStoreAsked = known.get().buildx();
                engine = socketEngine(env, host, engineStoreAsked);
            }
            DockerBuilder b;
            if (known.isPresent() && engine != null) {
                Platform nat;
                try {
                    nat = Platform.parse(engine.platform());
                } catch (IllegalArgumentException e) {
                    problems.add(bin + ": engine reports platform " + engine.platform());
                    continue;
                }
                b = choose(runner, bin, endpoint, want, env, host, known.get().version(), engine.version(), nat, known.get().buildx(),
                        engine.containerdStore(), problems);
            } else {
                b = probe(runner, bin, endpoint, want, env, host, buildxPossible, problems, f -> key.ifPresent(k -> cache.put(k, f)));
            }
            if (b == null) continue;
            if (b.mode != Mode.LEGACY || want == Mode.LEGACY) return b;
            if (legacyFallback == null) legacyFallback = b;
        }
        if (legacyFallback != null) return legacyFallback;
        throw new BuildException("no usable docker client: " + String.join("; ", problems)
                + ". Start the engine (dockerd), set builder.docker.binary, or use builder: buildah");
    }

    /** The engine's facts from its socket, where a Linux client with {@code env} would use a local socket; else null. */
    private static EngineSocket.Engine socketEngine(Map<String, String> env, Platform host, boolean askStore) {
        if (!ClientLookup.onLinux(host)) return null;
        Optional<Path> socket = EngineSocket.local(env);
        if (socket.isEmpty()) return null;
        try {
            return EngineSocket.engine(socket.get(), askStore);
        } catch (IOException e) {
            return null; // the client is run, and says what is wrong
        }
    }

    /** Runs {@code bin}'s probes; the builder they allow, or null with the reason in {@code problems}. */
    private static DockerBuilder probe(CommandRunner runner, String bin, String endpoint, Mode want, Map<String, String> env, Platform host,
                                       boolean buildxPossible, List<String> problems, java.util.function.Consumer<ClientFacts.Facts> learned)
            throws InterruptedException {
        java.util.concurrent.Future<CommandRunner.Result> version;
        java.util.concurrent.Future<CommandRunner.Result> buildxProbe = null;
        java.util.concurrent.Future<CommandRunner.Result> store = null;
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            version = pool.submit(() -> runner.run(List.of(bin, "version", "--format",
                    "{{.Client.Version}}|{{.Server.Version}}|{{.Server.Os}}/{{.Server.Arch}}"), env));
            if (buildxPossible) {
                buildxProbe = pool.submit(() -> runner.run(List.of(bin, "buildx", "version"), env));
                // which image store: BuildKit can hand an image straight over only from the containerd one
                store = pool.submit(() -> runner.run(List.of(bin, "info", "--format", "{{json .DriverStatus}}"), env));
            }
        } // every probe has ended here
        CommandRunner.Result v;
        try {
            v = version.get();
        } catch (java.util.concurrent.ExecutionException e) {
            problems.add(bin + ": " + e.getCause().getMessage());
            return null;
        }
        String[] parts = v.out().strip().split("\\|", -1);
        if (v.exit() != 0 || parts.length != 3 || parts[1].isBlank()) {
            problems.add(bin + ": cannot reach the Docker engine" + (endpoint != null ? " at " + endpoint : "") + ": "
                    + firstLine(v.err().isBlank() ? v.out() : v.err()));
            return null;
        }
        Platform nat;
        try {
            nat = Platform.parse(parts[2]);
        } catch (IllegalArgumentException e) {
            problems.add(bin + ": engine reports platform " + parts[2]);
            return null;
        }
        boolean buildx;
        try {
            buildx = buildxProbe != null && buildxProbe.get().exit() == 0;
        } catch (java.util.concurrent.ExecutionException e) {
            buildx = false; // no buildx plugin
        }
        boolean containerdStore;
        try {
            CommandRunner.Result info = store == null ? null : store.get();
            containerdStore = info != null && info.exit() == 0 && info.out().contains("io.containerd.snapshotter");
        } catch (java.util.concurrent.ExecutionException e) {
            containerdStore = false; // the image comes back through docker save
        }
        learned.accept(new ClientFacts.Facts(parts[0], buildx));
        return choose(runner, bin, endpoint, want, env, host, parts[0], parts[1], nat, buildx, containerdStore, problems);
    }

    /** The builder a client of {@code clientVersion} (with or without buildx) and its engine allow, or null with the reason. */
    private static DockerBuilder choose(CommandRunner runner, String bin, String endpoint, Mode want, Map<String, String> env, Platform host,
                                        String clientVersion, String serverVersion, Platform nat, boolean buildx, boolean containerdStore,
                                        List<String> problems) {
        int major = major(clientVersion);
        Mode best = buildx ? Mode.BUILDX : major > 0 && major < 23 ? Mode.BUILDKIT : Mode.LEGACY;
        Mode chosen = want == null ? best : want;
        if (want == Mode.BUILDX && !buildx || want == Mode.BUILDKIT && !(buildx || major < 23)) {
            problems.add(bin + " " + clientVersion + ": no " + (want == Mode.BUILDX ? "buildx plugin" : "BuildKit (needs buildx, or a client before 23.0 with DOCKER_BUILDKIT=1)"));
            return null;
        }
        if (want == Mode.BUILDKIT && buildx) chosen = Mode.BUILDX;
        return new DockerBuilder(runner, bin, endpoint, chosen, env, clientVersion, serverVersion, nat, ClientLookup.onLinux(host),
                chosen == Mode.BUILDX && containerdStore, null);
    }

    /**
     * A builder {@code docker buildx ls} lists, by name ({@code builder.endpoints: {arm64: buildx:NAME}}). The docker
     * driver of a context is that context's engine: it is used as any engine (with {@code DOCKER_CONTEXT}), images
     * read back from it. Any other driver (docker-container, kubernetes, remote, a cloud builder) keeps no image where
     * docker can read it: its builds stream the image through BuildKit's OCI exporter, and test commands cannot run.
     */
    public static DockerBuilder detectBuildx(CommandRunner runner, String binary, String name, Map<String, String> baseEnv, Platform host)
            throws BuildException, InterruptedException {
        String bin = binary != null ? binary : "docker";
        Map<String, String> env = new HashMap<>(baseEnv);
        CommandRunner.Result r;
        try {
            r = runner.run(List.of(bin, "buildx", "inspect", name), env);
        } catch (IOException e) {
            throw new BuildException("cannot run " + bin + " buildx inspect " + name + ": " + e.getMessage(), e);
        }
        if (r.exit() != 0) {
            throw new BuildException("buildx builder '" + name + "': " + firstLine(r.err().isBlank() ? r.out() : r.err())
                    + "; `docker buildx ls` lists the builders this client knows");
        }
        String driver = field(r.out(), "Driver");
        String endpoint = field(r.out(), "Endpoint");
        String platforms = field(r.out(), "Platforms");
        if ("docker".equals(driver)) {
            // the docker driver's endpoint is the context it belongs to
            env.put("DOCKER_CONTEXT", endpoint == null || endpoint.isBlank() ? name : endpoint);
            env.remove("DOCKER_HOST");
            DockerBuilder b = detect(runner, bin, null, Mode.BUILDX, env, host);
            return new DockerBuilder(runner, b.binary, "buildx:" + name, b.mode, env, b.clientVersion, b.serverVersion, b.nativePlatform, false,
                    b.containerdStore, null);
        }
        if (platforms == null || platforms.isBlank()) throw new BuildException("buildx builder '" + name + "' (driver " + driver + ") lists no platforms");
        Platform nat;
        try {
            nat = Platform.parse(platforms.split(",")[0].replace("*", "").strip());
        } catch (IllegalArgumentException e) {
            throw new BuildException("buildx builder '" + name + "' lists platforms polyarch cannot read: " + platforms);
        }
        String client;
        try {
            client = firstLine(runner.run(List.of(bin, "version", "--format", "{{.Client.Version}}"), env).out());
        } catch (IOException e) {
            throw new BuildException("cannot run " + bin + ": " + e.getMessage(), e);
        }
        return new DockerBuilder(runner, bin, "buildx:" + name, Mode.BUILDX, env, client, "buildx driver " + driver, nat, false, false, name);
    }

    /** A {@code Key: value} line of {@code docker buildx inspect}. */
    private static String field(String inspect, String key) {
        for (String line : inspect.split("\n")) {
            String l = line.strip();
            if (l.startsWith(key + ":")) return l.substring(key.length() + 1).strip();
        }
        return null;
    }

    private static int major(String version) {
        try {
            return Integer.parseInt(version.replaceFirst("^v", "").split("\\.")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("(no output)");
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public String describe() {
        return "docker " + clientVersion + " (" + switch (mode) {
            case BUILDX -> "buildx";
            case BUILDKIT -> "BuildKit";
            case LEGACY -> "classic builder";
        } + ", engine " + serverVersion + (containerdStore ? " containerd store" : "") + " " + nativePlatform + (endpoint != null ? " at " + endpoint : "") + ")";
    }

    @Override
    public Platform nativePlatform() {
        return nativePlatform;
    }

    @Override
    public boolean usesLocalEmulation() {
        return endpoint == null || endpoint.startsWith("unix://");  // a buildx builder's RUN steps run where it runs
    }

    @Override
    public boolean needsPinnedBases() {
        return mode == Mode.LEGACY;
    }

    @Override
    public java.util.Optional<String> cannot(io.polyarch.build.BuildExtras extras) {
        if (mode == Mode.LEGACY && (!extras.secrets().isEmpty() || extras.network() != null || !extras.ssh().isEmpty())) {
            return java.util.Optional.of("the classic builder cannot take --secret, --ssh or --network; use BuildKit (docker with buildx, DOCKER_BUILDKIT=1) or buildah");
        }
        return java.util.Optional.empty();
    }

    @Override
    public BuildOutput build(BuildRequest req, BuildLog log) throws BuildException, InterruptedException {
        if (buildxBuilder != null) {
            if (req.localImage()) {
                throw new BuildException("buildx builder '" + buildxBuilder + "' keeps no image an engine can run, so test commands cannot run on "
                        + req.platform() + "; use a docker context's builder or an engine endpoint for a platform with tests");
            }
            return buildToLayout(req, log);
        }
        if (mode == Mode.BUILDX && containerdStore && !req.localImage() && !req.serialize()) return buildToLayout(req, log);
        List<String> cmd = new ArrayList<>();
        cmd.add(binary);
        Map<String, String> e = new HashMap<>(env);
        switch (mode) {
            case BUILDX -> cmd.addAll(List.of("buildx", "build", "--load", "--progress=plain"));
            case BUILDKIT -> {
                cmd.addAll(List.of("build", "--progress=plain"));
                e.put("DOCKER_BUILDKIT", "1");
            }
            case LEGACY -> {
                cmd.add("build");
                e.put("DOCKER_BUILDKIT", "0");
            }
        }
        // The image is saved by the ID the build reports, never by the tag: a concurrent run of the same repository may
        // re-point the tag, and the tag is left for the next build to move, as `docker build -t` would.
        Path iidFile = req.scratch().resolve("iid");
        cmd.addAll(List.of("--pull", "--platform", req.platform().toString(), "-f", req.dockerfile().toString(), "-t", req.name(),
                "--iidfile", iidFile.toString()));
        if (req.cacheFrom() != null && mode != Mode.LEGACY && !req.extras().noCache()) {
            // BuildKit's inline cache: the image records its layer cache in its config, and the next build of this
            // platform can take unchanged steps from it in the registry (a missing ref is only a warning)
            cmd.addAll(List.of("--cache-from", req.cacheFrom(), "--build-arg", "BUILDKIT_INLINE_CACHE=1"));
        }
        cmd.addAll(LogTail.argsAndContext(req));
        LogTail tail = new LogTail(log);
        boolean locked = false;
        if (req.serialize()) {
            log.line("polyarch: waiting for the engine: the classic builder shares base tags between platforms");
            engineLock.lockInterruptibly();
            locked = true;
        }
        try {
            long engineMs = runBuild(cmd, e, req, tail);
            String id;
            try {
                id = java.nio.file.Files.readString(iidFile).strip();
            } catch (IOException ex) {
                throw new BuildException("docker build for " + req.platform() + " reported no image ID (" + iidFile + "): " + ex.getMessage());
            }
            return export(req, e, engineMs, id, log);
        } finally {
            if (locked) engineLock.unlock();
        }
    }

    /** Runs a build command, its log into {@code tail}: the milliseconds it took, or its failure with the log's end. */
    private long runBuild(List<String> cmd, Map<String, String> e, BuildRequest req, LogTail tail) throws BuildException, InterruptedException {
        long started = System.nanoTime();
        int code;
        try {
            code = runner.stream(cmd, e, req.context(), tail::line);
        } catch (IOException ex) {
            throw new BuildException("cannot run " + binary + ": " + ex.getMessage(), ex);
        }
        if (code != 0) {
            throw new BuildException("docker build for " + req.platform() + " failed (exit " + code + "):\n" + tail.text());
        }
        return (System.nanoTime() - started) / 1_000_000;
    }

    /**
     * On the containerd image store, BuildKit's OCI exporter hands the image over without a load into the engine's
     * store and a {@code docker save}: uncompressed, as an OCI layout the client writes to the scratch directory
     * ({@code tar=false}). {@code bash bench/handover.sh}: 0.5-1.0 s less per platform than {@code --load} and a save
     * on Docker 26.1.5, and 0.1-0.3 s less than the same layout streamed as a tar on standard output. The layers are then
     * compressed here as in the classic path (the ones the base lacks streamed to the registry as they are
     * compressed), base layers named by the base's blobs. No provenance attestation is made: polyarch's index lists
     * images only. Used when nothing needs the image in the engine afterwards (no test commands).
     */
    private BuildOutput buildToLayout(BuildRequest req, BuildLog log) throws BuildException, InterruptedException {
        Path exported = req.scratch().resolve("exported");
        List<String> cmd = new ArrayList<>(List.of(binary, "buildx", "build"));
        if (buildxBuilder != null) cmd.addAll(List.of("--builder", buildxBuilder));
        cmd.addAll(List.of("--progress=plain", "--provenance=false", "--sbom=false",
                "--output", "type=oci," + csvField("dest=" + exported) + ",tar=false,compression=uncompressed", "--pull", "--platform", req.platform().toString(),
                "-f", req.dockerfile().toString()));
        if (req.cacheFrom() != null && !req.extras().noCache()) {
            cmd.addAll(List.of("--cache-from", req.cacheFrom(), "--build-arg", "BUILDKIT_INLINE_CACHE=1"));
        }
        cmd.addAll(LogTail.argsAndContext(req));
        LogTail tail = new LogTail(log);
        Path layoutDir = req.scratch().resolve("layout");
        long engineMs = runBuild(cmd, env, req, tail);
        if (!Files.isRegularFile(exported.resolve("index.json"))) {
            deleteQuietly(exported);
            throw new BuildException("the build for " + req.platform() + " wrote no OCI layout to " + exported + " (--output type=oci,tar=false "
                    + "needs BuildKit 0.11 and buildx 0.10 or newer; " + describe() + ")");
        }
        try {
            OciLayoutStore layout = OciLayoutStore.open(layoutDir, true);
            RawManifest m = DockerArchive.importLayout(exported, layout, req.oci(), req.uploads(), req.baseLayers(), log::line);
            log.line("polyarch: image read from the OCI layout BuildKit wrote");
            return new BuildOutput(layoutDir, m.digest(), engineMs, null);
        } catch (StoreException ex) {
            throw new BuildException("cannot write the built image to " + layoutDir + ": " + ex.getMessage(), ex);
        } catch (IOException ex) {
            throw new BuildException("the image BuildKit wrote for " + req.platform() + " could not be read: " + ex.getMessage(), ex);
        } finally {
            deleteQuietly(exported);
        }
    }

    /** A field of buildx's comma-separated {@code --output}: quoted when it holds a comma or a quote (a TMPDIR may). */
    static String csvField(String f) {
        return f.contains(",") || f.contains("\"") ? "\"" + f.replace("\"", "\"\"") + "\"" : f;
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | java.io.UncheckedIOException e) {
            // the run's scratch directory goes at its end anyway
        }
    }

    @Override
    public void test(BuildOutput image, Platform platform, String command, java.time.Duration timeout, BuildLog log)
            throws BuildException, InterruptedException {
        if (image.imageId() == null) throw new BuildException("no local image to test for " + platform);
        String name = "polyarch-test-" + image.manifest().shortHex() + "-" + Long.toHexString(System.nanoTime());
        LogTail tail = new LogTail(log);
        boolean[] timedOut = {false};
        // A platform thread, as elsewhere for short helpers: killing the CLI would leave the container running, so
        // the timer removes the container, which ends `docker run`.
        Thread timer = Thread.ofPlatform().daemon().name("test-timeout").start(() -> {
            try {
                Thread.sleep(timeout.toMillis());
                timedOut[0] = true;
                runner.run(List.of(binary, "rm", "-f", name), env);
            } catch (InterruptedException | IOException ignored) {
                // finished in time, or nothing to remove
            }
        });
        int code;
        try {
            code = runner.stream(List.of(binary, "run", "--rm", "--name", name, "--pull", "never", "--platform", platform.toString(),
                    "--entrypoint", "sh", image.imageId(), "-c", command), env, Path.of("/"), tail::line);
        } catch (IOException e) {
            throw new BuildException("cannot run " + binary + ": " + e.getMessage(), e);
        } finally {
            timer.interrupt();
        }
        if (timedOut[0]) throw new BuildException("test `" + command + "` timed out after " + timeout.toSeconds() + " s:\n" + tail.text());
        if (code != 0) throw new BuildException("test `" + command + "` failed (exit " + code + "):\n" + tail.text());
    }

    private BuildOutput export(BuildRequest req, Map<String, String> e, long engineMs, String imageId, BuildLog log)
            throws BuildException, InterruptedException {
        Path layoutDir = req.scratch().resolve("layout");
        try {
            OciLayoutStore layout = OciLayoutStore.open(layoutDir, true);
            CommandRunner.OutputReader<RawManifest> importer = in -> DockerArchive.importTo(in, layout, req.oci(), req.uploads(), req.baseLayers(), log::line);
            // straight from the engine's socket where the client would use that socket: the client's start-up and
            // API negotiation cost ~45 ms before the first byte, on the critical path of the last platform
            Optional<Path> socket = linuxClient ? EngineSocket.local(e) : Optional.empty();
            if (socket.isPresent()) {
                try {
                    RawManifest m = EngineSocket.save(socket.get(), imageId, importer);
                    log.line("polyarch: image read from the engine at unix://" + socket.get());
                    return new BuildOutput(layoutDir, m.digest(), engineMs, imageId);
                } catch (EngineSocket.Unavailable ex) {
                    log.line("polyarch: cannot read the image from unix://" + socket.get() + " (" + ex.getMessage() + "); running docker save");
                }
            }
            RawManifest m = runner.read(List.of(binary, "save", imageId), e, importer);
            return new BuildOutput(layoutDir, m.digest(), engineMs, imageId);
        } catch (StoreException ex) {
            throw new BuildException("cannot write the built image to " + layoutDir + ": " + ex.getMessage(), ex);
        } catch (IOException ex) {
            throw new BuildException("docker save " + imageId + " (" + req.name() + ") failed: " + ex.getMessage(), ex);
        }
    }
}
