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
    public record Checkout(Path root, String commit, String branch, List<String> tags, boolean dirty, Path cloneDir) implements AutoCloseable {
        public Checkout {
            tags = List.copyOf(tags);
        }

        /** Deletes the temporary clone, if this is one. */
        @Override
        public void close() {
            if (cloneDir == null) return;
            try (Stream<Path> s = Files.walk(cloneDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp dir left behind is harmless
            }
        }
    }

    /** CI systems check out a detached commit and say the branch in a variable. */
    static final List<String> BRANCH_VARIABLES = List.of("POLYARCH_BRANCH", "CODEBUILD_WEBHOOK_HEAD_REF", "GITHUB_HEAD_REF",
            "GITHUB_REF_NAME", "BRANCH_NAME", "GIT_BRANCH", "CI_COMMIT_REF_NAME");

    private GitSource() {
    }

    public static boolean looksLikeUrl(String s) {
        return s.contains("://") || s.matches("[\\w.-]+@[\\w.-]+:.*") || s.endsWith(".git") && !Files.isDirectory(Path.of(s));
    }

    /** The checkout that contains {@code dir}. */
    public static Checkout open(Path dir, Map<String, String> env) throws GitException {
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
        return new Checkout(c.root(), c.commit(), c.branch(), c.tags(), c.dirty(), dir);
    }

    private static Checkout describe(Repository repo, Path root, String branch, Map<String, String> env, boolean checkDirty) throws IOException, GitException {
        Ref head = repo.exactRef(Constants.HEAD);
        if (head == null || head.getObjectId() == null) throw new GitException(root + ": the repository has no commits yet; commit first");
        ObjectId commitId;
        try (RevWalk w = new RevWalk(repo)) {
            RevCommit c = w.parseCommit(head.getObjectId());
            commitId = c.getId();
        }
        if (branch == null && head.isSymbolic()) branch = Repository.shortenRefName(head.getTarget().getName());
        if (branch == null) {
            for (String v : BRANCH_VARIABLES) {
                String b = env.get(v);
                if (b != null && !b.isBlank()) {
                    branch = b.replaceFirst("^refs/heads/", "").replaceFirst("^origin/", "");
                    break;
                }
            }
        }
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
        return new Checkout(root, commitId.name(), branch, tags, dirty, null);
    }

    private static void deleteQuietly(Path dir) {
        new Checkout(dir, "0".repeat(40), null, List.of(), false, dir).close();
    }
}
