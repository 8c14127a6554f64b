package io.polyarch.git;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The commit a pipeline builds: the current checkout, or a clone of a Git URL at a branch, tag or SHA.
 * Tag rules use what this resolves (full SHA, branch, tags on the commit), never the clock.
 */
public final class GitSource {
    /** What was checked out. {@code branch} is null for a detached checkout that no CI variable names. */
    /**
     * @param commitTime the commit's committer time, RFC 3339 with its offset ({@code 2026-12-01T10:00:00+01:00}); null if unknown
     * @param origin     the {@code origin} remote as a URL with any credentials removed; null without one
     */
    public record Checkout(Path root, String commit, String branch, List<String> tags, boolean dirty, Path cloneDir,
                           String commitTime, String origin) implements AutoCloseable {
        public Checkout {
            tags = List.copyOf(tags);
        }

        public Checkout(Path root, String commit, String branch, List<String> tags, boolean dirty, Path cloneDir) {
            this(root, commit, branch, tags, dirty, cloneDir, null, null);
        }

        /** Deletes the temporary clone, if this is one. */
        @Override
        public void close() {
            if (cloneDir != null) deleteQuietly(cloneDir);
        }
    }

    /** CI systems check out a detached commit and say the branch in a variable. */
    static final List<String> BRANCH_VARIABLES = List.of("POLYARCH_BRANCH", "CODEBUILD_WEBHOOK_HEAD_REF", "GITHUB_HEAD_REF",
            "GITHUB_REF_NAME", "BRANCH_NAME", "GIT_BRANCH", "CI_COMMIT_REF_NAME");

    private GitSource() {
    }

    /**
     * Makes {@code dir} a repository on {@code branch} with one commit of everything in it (the launcher's training
     * workload; tests use git itself).
     */
    public static void commitAll(Path dir, String branch, String message) throws GitException {
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.init().setDirectory(dir.toFile()).setInitialBranch(branch).call()) {
            git.add().addFilepattern(".").call();
            git.commit().setMessage(message).setAuthor("polyarch", "polyarch@polyarch.invalid").setCommitter("polyarch", "polyarch@polyarch.invalid")
                    .setSign(false).call();
        } catch (org.eclipse.jgit.api.errors.GitAPIException e) {
            throw new GitException(dir + ": cannot commit: " + e.getMessage());
        }
    }

    public static boolean looksLikeUrl(String s) {
        return s.contains("://") || s.matches("[\\w.-]+@[\\w.-]+:.*") || s.endsWith(".git") && !Files.isDirectory(Path.of(s));
    }

    /**
     * The checkout that contains {@code dir}. Read with the git CLI when there is one (it sees exactly what the
     * user's own git sees, and starts in milliseconds where loading JGit takes a quarter of a second), else JGit.
     */
    public static Checkout open(Path dir, Map<String, String> env) throws GitException {
        Checkout viaCli = openWithCli(dir, env);
        return viaCli != null ? viaCli : openWithJgit(dir, env);
    }

    /** Null when there is no usable git CLI or it does not take this directory as a checkout; JGit then decides. */
    static Checkout openWithCli(Path dir, Map<String, String> env) {
        String git = null;
        for (String p : env.getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "git"))) {
                git = Path.of(p, "git").toString();
                break;
            }
        }
        if (git == null) return null;
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            String g = git;
            var head = pool.submit(() -> cli(env, g, "-C", dir.toString(), "rev-parse", "--show-toplevel", "--verify", "HEAD^{commit}"));
            var branch = pool.submit(() -> cli(env, g, "-C", dir.toString(), "symbolic-ref", "-q", "--short", "HEAD"));
            var tags = pool.submit(() -> cli(env, g, "-C", dir.toString(), "tag", "--points-at", "HEAD"));
            var status = pool.submit(() -> cli(env, g, "-C", dir.toString(), "status", "--porcelain", "--untracked-files=normal"));
            var time = pool.submit(() -> cli(env, g, "-C", dir.toString(), "log", "-1", "--format=%cI", "HEAD"));
            var origin = pool.submit(() -> cli(env, g, "-C", dir.toString(), "config", "--get", "remote.origin.url"));
            String[] h = head.get();
            if (h == null) return null;
            String[] lines = h[1].strip().split("\n");
            if (lines.length != 2 || !lines[1].matches("[0-9a-f]{40}|[0-9a-f]{64}")) return null;
            String[] b = branch.get();
            String br = b != null && !b[1].isBlank() ? b[1].strip() : null;
            if (br == null) br = branchFromEnv(env);
            String[] t = tags.get();
            List<String> tagList = t == null ? List.of() : t[1].lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
            String[] st = status.get();
            boolean dirty = st != null && !st[1].isBlank();
            String[] ct = time.get();
            String[] o = origin.get();
            return new Checkout(Path.of(lines[0]), lines[1], br, tagList, dirty, null, ct == null ? null : ct[1].strip(),
                    o == null ? null : publicUrl(o[1].strip()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return null;
        }
    }

    /** {exit code, stdout} of a successful git command, or null. */
    private static String[] cli(Map<String, String> env, String... cmd) throws InterruptedException {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().putAll(env);
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? new String[]{"0", out} : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String branchFromEnv(Map<String, String> env) {
        for (String v : BRANCH_VARIABLES) {
            String b = env.get(v);
            if (b != null && !b.isBlank()) return b.replaceFirst("^refs/heads/", "").replaceFirst("^origin/", "");
        }
        return null;
    }

    static Checkout openWithJgit(Path dir, Map<String, String> env) throws GitException {
        FileRepositoryBuilder b = new FileRepositoryBuilder().readEnvironment().findGitDir(dir.toAbsolutePath().toFile());
        if (b.getGitDir() == null) {
            throw new GitException(dir.toAbsolutePath() + " is not inside a Git repository; polyarch tags images by commit. "
                    + "Run it in a checkout, or pass --source DIR|GIT_URL");
        }
        try (Repository repo = b.build()) {
            if (repo.isBare()) throw new GitException(repo.getDirectory() + " is a bare repository; pass a checkout, or its URL with --source to clone it");
            return describe(repo, repo.getWorkTree().toPath(), null, env, true);
        } catch (IOException e) {
            throw new GitException("cannot read the Git repository at " + dir + ": " + e.getMessage());
        }
    }

    /** Clones {@code url} into a temporary directory and checks out {@code ref} (branch, tag or SHA; default: the remote HEAD). */
    public static Checkout cloneAt(String url, String ref, Path tempParent, Map<String, String> env) throws GitException {
        Path dir;
        try {
            dir = Files.createTempDirectory(tempParent, "polyarch-src-");
        } catch (IOException e) {
            throw new GitException("cannot create a directory for the clone in " + tempParent + ": " + e.getMessage());
        }
        try (Git git = Git.cloneRepository().setURI(url).setDirectory(dir.toFile()).setCloneAllBranches(true).call()) {
            Repository repo = git.getRepository();
            String branch = null;
            ObjectId id;
            if (ref == null || ref.isBlank()) {
                Ref head = repo.exactRef(Constants.HEAD);
                id = head == null ? null : head.getObjectId();
                if (head != null && head.isSymbolic()) branch = Repository.shortenRefName(head.getTarget().getName());
            } else {
                Ref remoteBranch = repo.exactRef("refs/remotes/origin/" + ref);
                Ref tag = repo.exactRef("refs/tags/" + ref);
                if (remoteBranch != null) {
                    id = remoteBranch.getObjectId();
                    branch = ref;
                } else if (tag != null) {
                    id = repo.getRefDatabase().peel(tag).getPeeledObjectId() != null ? repo.getRefDatabase().peel(tag).getPeeledObjectId() : tag.getObjectId();
                } else {
                    id = ref.matches("[0-9a-fA-F]{4,64}") ? repo.resolve(ref + "^{commit}") : null;
                }
            }
            if (id == null) {
                throw new GitException(url + ": no branch, tag or commit '" + (ref == null ? "HEAD" : ref) + "'");
            }
            git.checkout().setName(id.name()).setForced(true).call();
            return withClone(describe(repo, dir, branch, env, false), dir);
        } catch (GitAPIException | IOException | RuntimeException e) {
            deleteQuietly(dir);
            if (e instanceof GitException ge) throw ge;
            throw new GitException("cannot clone " + url + (ref != null ? " at " + ref : "") + ": " + e.getMessage());
        } catch (GitException e) {
            deleteQuietly(dir);
            throw e;
        }
    }

    private static Checkout withClone(Checkout c, Path dir) {
        return new Checkout(c.root(), c.commit(), c.branch(), c.tags(), c.dirty(), dir, c.commitTime(), c.origin());
    }

    private static Checkout describe(Repository repo, Path root, String branch, Map<String, String> env, boolean checkDirty) throws IOException, GitException {
        Ref head = repo.exactRef(Constants.HEAD);
        if (head == null || head.getObjectId() == null) throw new GitException(root + ": the repository has no commits yet; commit first");
        ObjectId commitId;
        String commitTime;
        try (RevWalk w = new RevWalk(repo)) {
            RevCommit c = w.parseCommit(head.getObjectId());
            commitId = c.getId();
            var ident = c.getCommitterIdent();
            commitTime = ident.getWhenAsInstant().atZone(ident.getZoneId()).toOffsetDateTime()
                    .format(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        }
        String origin = repo.getConfig().getString("remote", "origin", "url");
        if (branch == null && head.isSymbolic()) branch = Repository.shortenRefName(head.getTarget().getName());
        if (branch == null) branch = branchFromEnv(env);
        List<String> tags = new ArrayList<>();
        for (Ref t : repo.getRefDatabase().getRefsByPrefix(Constants.R_TAGS)) {
            Ref peeled = repo.getRefDatabase().peel(t);
            ObjectId target = peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : t.getObjectId();
            if (commitId.equals(target)) tags.add(Repository.shortenRefName(t.getName()));
        }
        boolean dirty = false;
        if (checkDirty) {
            try (Git git = new Git(repo)) {
                dirty = !git.status().call().isClean();
            } catch (GitAPIException e) {
                dirty = false;
            }
        }
        return new Checkout(root, commitId.name(), branch, tags, dirty, null, commitTime, origin == null ? null : publicUrl(origin));
    }

    /**
     * A remote as a URL to show in an image: credentials removed ({@code https://user:token@host/...}), an scp-like
     * {@code git@host:owner/repo.git} as {@code https://host/owner/repo}; null for a local path.
     */
    public static String publicUrl(String remote) {
        String r = remote.strip();
        java.util.regex.Matcher scp = java.util.regex.Pattern.compile("^(?:[\\w.-]+@)?([\\w.-]+):(?!//)([^\\\\]+?)(?:\\.git)?/?$").matcher(r);
        if (!r.contains("://") && scp.matches() && !r.startsWith("/")) return "https://" + scp.group(1) + "/" + scp.group(2);
        try {
            java.net.URI u = new java.net.URI(r);
            if (u.getScheme() == null || u.getHost() == null || u.getScheme().equalsIgnoreCase("file")) return null;
            String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (scheme.equals("ssh") || scheme.equals("git")) scheme = "https";
            String path = u.getRawPath() == null ? "" : u.getRawPath().replaceFirst("\\.git/?$", "");
            return scheme + "://" + u.getHost() + (u.getPort() > 0 && scheme.startsWith("http") ? ":" + u.getPort() : "") + path;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /**
     * Whether {@code older} is an ancestor of (or the same as) {@code newer} in the repository at {@code root}:
     * empty when that cannot be told (a commit not in this clone, a shallow clone, no repository).
     */
    public static java.util.Optional<Boolean> isAncestor(Path root, String older, String newer, Map<String, String> env) {
        if (!older.matches("[0-9a-f]{40}|[0-9a-f]{64}") || !newer.matches("[0-9a-f]{40}|[0-9a-f]{64}")) return java.util.Optional.empty();
        for (String p : env.getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (p.isEmpty() || !Files.isExecutable(Path.of(p, "git"))) continue;
            try {
                ProcessBuilder pb = new ProcessBuilder(Path.of(p, "git").toString(), "-C", root.toString(), "merge-base", "--is-ancestor", older, newer)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().clear();
                pb.environment().putAll(env);
                int code = pb.start().waitFor();
                return code == 0 ? java.util.Optional.of(true) : code == 1 ? java.util.Optional.of(false) : java.util.Optional.empty();
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return java.util.Optional.empty();
            }
        }
        FileRepositoryBuilder b = new FileRepositoryBuilder().findGitDir(root.toFile());
        if (b.getGitDir() == null) return java.util.Optional.empty();
        try (Repository repo = b.build(); RevWalk w = new RevWalk(repo)) {
            return java.util.Optional.of(w.isMergedInto(w.parseCommit(ObjectId.fromString(older)), w.parseCommit(ObjectId.fromString(newer))));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
