package io.polyarch.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real Git repository made with the git CLI, as a user's checkout would be. */
public final class GitRepo {
    private final Path dir;

    private GitRepo(Path dir) {
        this.dir = dir;
    }

    public static GitRepo init(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        GitRepo g = new GitRepo(dir);
        g.git("init", "-q", "-b", "main");
        return g;
    }

    public Path dir() {
        return dir;
    }

    public GitRepo write(String path, String content) {
        try {
            Path p = dir.resolve(path);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** Commits everything and returns the full SHA. */
    public String commit(String message) {
        git("add", "-A");
        git("-c", "user.name=polyarch-test", "-c", "user.email=test@polyarch.invalid", "commit", "-q", "--allow-empty", "-m", message);
        return git("rev-parse", "HEAD").strip();
    }

    public String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        return Tools.run(cmd, null, Map.of(), 60).requireOk("git " + String.join(" ", args)).out();
    }
}
