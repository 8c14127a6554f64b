package io.polyarch.tags;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TagsTest {
    static final String SHA = "0123456789abcdef0123456789abcdef01234567";

    static List<String> tags(String branch, List<String> gitTags, String... rules) {
        return Tags.resolve(List.of(rules).stream().map(TagRule::parse).toList(), new Tags.Context(SHA, branch, gitTags, Map.of())).tags();
    }

    @Test
    void everyRuleKind() {
        assertEquals(List.of("latest", SHA, "01234567", "feature-Login_x", "1.4.2", "1.4", "1", "feature-Login_x-01234567", "stable"),
                tags("feature/Login_x", List.of("v1.4.2", "other"), "latest", "commit", "commit-short", "branch", "semver",
                        "{branch}-{commit-short}", "stable"));
    }

    @Test
    void commitShortIsAlwaysEightCharacters() {
        assertEquals(8, tags(null, List.of(), "commit-short").get(0).length());
        assertEquals("abcdef01", Tags.commitShort("abcdef01" + "2".repeat(56)));
    }

    @Test
    void semverPicksTheHighestReleaseAndPrereleaseGetsNoShortTags() {
        assertEquals(List.of("2.0.0", "2.0", "2"), tags(null, List.of("v1.9.9", "v2.0.0", "v2.0.0-rc.1"), "semver"));
        assertEquals(List.of("3.0.0-rc.1"), tags(null, List.of("v3.0.0-rc.1"), "semver"));
        var r = Tags.resolve(List.of(TagRule.parse("semver")), new Tags.Context(SHA, "main", List.of("release"), Map.of()));
        assertEquals(List.of(), r.tags());
        assertTrue(r.notes().get(0).contains("no vX.Y.Z tag"), r.notes().toString());
    }

    @Test
    void detachedHeadGivesNoBranchTagAndSaysSo() {
        var r = Tags.resolve(List.of(TagRule.parse("branch"), TagRule.parse("latest")), new Tags.Context(SHA, null, List.of(), Map.of()));
        assertEquals(List.of("latest"), r.tags());
        assertTrue(r.notes().get(0).contains("detached"));
    }

    @Test
    void branchSanitising() {
        assertEquals("feature-a-b", Tags.sanitize("refs/heads/feature/a b"));
        assertEquals("x", Tags.sanitize("..-x"));
        assertEquals(128, Tags.sanitize("b".repeat(300)).length());
    }

    @Test
    void duplicatesCollapseInOrder() {
        assertEquals(List.of("latest", "01234567"), tags("main", List.of(), "latest", "commit-short", "latest", "{commit-short}"));
    }

    @Test
    void typosAndBadTemplatesAreRefusedWithAHint() {
        var e = assertThrows(IllegalArgumentException.class, () -> TagRule.parse("comit"));
        assertTrue(e.getMessage().contains("did you mean 'commit'"), e.getMessage());
        var u = assertThrows(IllegalArgumentException.class, () -> tags("main", List.of(), "{brnch}-x"));
        assertTrue(u.getMessage().contains("{branch}"), u.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TagRule.parse("-bad"));
        assertThrows(IllegalArgumentException.class, () -> TagRule.literal("has space"));
    }

    @Test
    void archTags() {
        assertEquals(List.of("latest-arm64v8", "01234567-arm64v8"), Tags.archTags(List.of("latest", "01234567"), "arm64v8"));
        assertThrows(IllegalArgumentException.class, () -> Tags.archTags(List.of("x".repeat(125)), "arm64"));
    }
}
