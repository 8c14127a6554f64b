package io.polyarch.git;

import io.polyarch.testing.GitRepo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What a checkout says about itself, read from a real repository by the git CLI and by JGit alike. */
class GitSourceTest {
    @Test
    void aRemoteIsShownWithoutItsCredentials() {
        assertEquals("https://github.com/acme/shop", GitSource.publicUrl("https://x-access-token:ghs_SECRET@github.com/acme/shop.git"));
        assertEquals("https://github.com/acme/shop", GitSource.publicUrl("git@github.com:acme/shop.git"));
        assertEquals("https://git.example.com/team/app", GitSource.publicUrl("ssh://git@git.example.com/team/app.git"));
        assertEquals("https://gitlab.example.com:8443/g/app", GitSource.publicUrl("https://user:pw@gitlab.example.com:8443/g/app"));
        assertNull(GitSource.publicUrl("/srv/git/app.git"));
        assertNull(GitSource.publicUrl("file:///srv/git/app.git"));
    }

    @Test
    void commitTimeOriginAndAncestryFromTheCliAndFromJgit(@TempDir Path dir) throws Exception {
        GitRepo g = GitRepo.init(dir).write("a.txt", "1");
        String first = g.commit("one");
        String second = g.write("a.txt", "2").commit("two");
        g.git("remote", "add", "origin", "https://bot:tok3n@github.com/acme/shop.git");
        Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "HOME", dir.toString());
        GitSource.Checkout cli = GitSource.openWithCli(dir, env);
        GitSource.Checkout jgit = GitSource.openWithJgit(dir, env);
        for (GitSource.Checkout c : new GitSource.Checkout[]{cli, jgit}) {
            assertEquals(second, c.commit());
            assertEquals("https://github.com/acme/shop", c.origin());
            assertEquals(OffsetDateTime.parse(g.git("log", "-1", "--format=%cI").strip()).toInstant(), OffsetDateTime.parse(c.commitTime()).toInstant());
        }
        assertEquals(Optional.of(true), GitSource.isAncestor(dir, first, second, env));
        assertEquals(Optional.of(false), GitSource.isAncestor(dir, second, first, env));
        assertEquals(Optional.empty(), GitSource.isAncestor(dir, first, "3f2a9c1e5b7d4f60a1b2c3d4e5f60718293a4b5c", env), "a commit this clone lacks");
        Map<String, String> noGit = Map.of("PATH", dir.resolve("nowhere").toString());
        assertEquals(Optional.of(true), GitSource.isAncestor(dir, first, second, noGit), "JGit answers without a git CLI");
    }
}
