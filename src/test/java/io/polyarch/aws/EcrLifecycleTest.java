package io.polyarch.aws;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import io.polyarch.pipeline.spec.PipelineSpec;
import io.polyarch.pipeline.spec.SpecLoader;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lifecycle policy against ECR's documented evaluation rules (each rule selects by its tag patterns, all of them
 * matching; rules apply in priority order; an image that matches a rule's tags cannot be expired by a lower one;
 * expiry goes oldest first by push time), on a repository as polyarch leaves it after a history of runs: reused
 * images, a tag that moved, unpublished builds, superseded caches, signatures.
 */
class EcrLifecycleTest {
    /** One manifest in the repository: its tags, when it was pushed, and the manifests it lists (an index). */
    record Image(String name, Set<String> tags, int pushedDay, List<String> children) {
    }

    /** ECR's evaluation, as its documentation states it, on day {@code today}. */
    static Set<String> expired(JsonNode policy, List<Image> repo, int today) {
        Set<String> decided = new HashSet<>();
        Set<String> expired = new HashSet<>();
        List<JsonNode> rules = new ArrayList<>();
        policy.path("rules").forEach(rules::add);
        rules.sort(Comparator.comparingInt(r -> r.path("rulePriority").asInt()));
        for (JsonNode r : rules) {
            JsonNode sel = r.path("selection");
            List<Image> matched = new ArrayList<>();
            for (Image i : repo) {
                boolean m = switch (sel.path("tagStatus").asText()) {
                    case "untagged" -> i.tags().isEmpty();
                    case "any" -> true;
                    default -> {
                        boolean all = !i.tags().isEmpty();
                        for (JsonNode p : sel.path("tagPatternList")) all &= i.tags().stream().anyMatch(t -> glob(p.asText()).matcher(t).matches());
                        yield all;
                    }
                };
                if (m && !decided.contains(i.name())) matched.add(i);
            }
            matched.sort(Comparator.comparingInt(Image::pushedDay).reversed()); // youngest first
            for (int k = 0; k < matched.size(); k++) {
                Image i = matched.get(k);
                boolean expire = sel.path("countType").asText().equals("imageCountMoreThan") ? k >= sel.path("countNumber").asInt()
                        : today - i.pushedDay() > sel.path("countNumber").asInt();
                if (expire) expired.add(i.name());
                decided.add(i.name());
            }
        }
        return expired;
    }

    static Pattern glob(String p) {
        return Pattern.compile(Pattern.quote(p).replace("*", "\\E.*\\Q"));
    }

    static PipelineSpec spec(String extra) throws Exception {
        return SpecLoader.parse("polyarch.yaml", """
                destination: {ecr: {repoName: shop, lifecycle: {untaggedDays: 7, unpublishedBuilds: 2}}}
                tagRules: [latest, commit-short]
                """ + extra, SpecLoader.Overrides.none());
    }

    /** Three commits published (amd64 built once and reused), one branch built but not published, caches moved. */
    static List<Image> history() {
        List<Image> repo = new ArrayList<>();
        repo.add(new Image("amd-1", Set.of("polyarch-key-a1", "c1-amd64", "c2-amd64", "c3-amd64", "latest-amd64"), 1, List.of()));
        for (int c = 1; c <= 3; c++) {
            Set<String> armTags = new HashSet<>(Set.of("polyarch-key-r" + c, "c" + c + "-arm64"));
            Set<String> idxTags = new HashSet<>(Set.of("c" + c));
            if (c == 3) {
                armTags.add("latest-arm64");
                idxTags.add("latest");
            }
            repo.add(new Image("arm-" + c, armTags, c * 10, List.of()));
            repo.add(new Image("index-" + c, idxTags, c * 10, List.of("amd-1", "arm-" + c)));
            repo.add(new Image("sig-" + c, Set.of("sha256-index" + c + ".sig"), c * 10, List.of()));
        }
        for (int b = 1; b <= 4; b++) repo.add(new Image("unpublished-" + b, Set.of("polyarch-key-b" + b), 30 + b, List.of()));
        repo.add(new Image("cache-old", Set.of(), 5, List.of()));
        repo.add(new Image("cache-now", Set.of("polyarch-cache-arm64"), 30, List.of()));
        repo.add(new Image("index-untagged-recent", Set.of(), 38, List.of()));
        return repo;
    }

    @Test
    void nothingAnIndexWithATagListsIsExpiredAndWhatPolyarchLeftBehindIs() throws Exception {
        PipelineSpec s = spec("");
        EcrLifecycle.Policy p = EcrLifecycle.of(s, ((PipelineSpec.Ecr) s.destination()).lifecycle());
        JsonNode policy = OciJson.readTree(p.text().getBytes(), "policy");
        List<Image> repo = history();
        Set<String> gone = expired(policy, repo, 40);

        Map<String, Image> byName = new LinkedHashMap<>();
        repo.forEach(i -> byName.put(i.name(), i));
        for (Image i : repo) {
            if (i.tags().isEmpty() || gone.contains(i.name())) continue;
            for (String child : i.children()) assertFalse(gone.contains(child), i.name() + " " + i.tags() + " would lose its child " + child);
        }
        for (String keep : List.of("index-1", "index-2", "index-3", "amd-1", "arm-1", "arm-2", "arm-3", "sig-1", "cache-now", "index-untagged-recent")) {
            assertFalse(gone.contains(keep), keep + " expired: " + gone);
        }
        assertEquals(Set.of("unpublished-1", "unpublished-2", "cache-old"), gone, "the two oldest unpublished builds and the superseded cache");
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("commit-short")), "a rule no pattern names is said: " + p.notes());
    }

    @Test
    void tagsWithAFixedStartAreKeptByTheirPatternAndTheOthersAreNamed() throws Exception {
        PipelineSpec s = spec("");
        assertEquals("release-*", EcrLifecycle.pattern(io.polyarch.tags.TagRule.parse("release-{commit-short}")));
        assertEquals("stable*", EcrLifecycle.pattern(io.polyarch.tags.TagRule.parse("stable")));
        assertEquals("latest*", EcrLifecycle.pattern(io.polyarch.tags.TagRule.parse("latest")));
        assertEquals(null, EcrLifecycle.pattern(io.polyarch.tags.TagRule.parse("{branch}-{commit-short}")));
        assertEquals(null, EcrLifecycle.pattern(io.polyarch.tags.TagRule.parse("commit")));
        assertTrue(EcrLifecycle.of(s, PipelineSpec.Lifecycle.DEFAULT).text().contains("\"polyarch-key-*\""));
    }

    @Test
    void withoutTaggedChildrenNothingThatCouldBeAChildIsExpired() throws Exception {
        for (String extra : List.of("archTags: false\n", "soci: true\n")) {
            PipelineSpec s = spec(extra);
            EcrLifecycle.Policy p = EcrLifecycle.of(s, ((PipelineSpec.Ecr) s.destination()).lifecycle());
            JsonNode policy = OciJson.readTree(p.text().getBytes(), "policy");
            List<Image> repo = new ArrayList<>(history());
            // children as they are then: no arch tags, only the build key; a SOCI index untagged
            repo.replaceAll(i -> new Image(i.name(), i.tags().stream().filter(t -> !t.endsWith("-amd64") && !t.endsWith("-arm64"))
                    .collect(java.util.stream.Collectors.toSet()), i.pushedDay(), i.children()));
            repo.add(new Image("soci-3", Set.of(), 30, List.of()));
            Set<String> gone = expired(policy, repo, 400);
            assertEquals(Set.of(), gone, extra + ": " + gone);
            assertTrue(p.notes().stream().anyMatch(n -> n.contains("expires neither untagged images nor unpublished builds")), p.notes().toString());
        }
    }
}
