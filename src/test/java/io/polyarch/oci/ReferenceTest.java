package io.polyarch.oci;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReferenceTest {
    static final String D = "sha256:" + "0123456789abcdef".repeat(4);

    @ParameterizedTest
    @CsvSource({
            "alpine, docker.io, library/alpine, , latest",
            "alpine:3.20, docker.io, library/alpine, 3.20, 3.20",
            "user/app:v1, docker.io, user/app, v1, v1",
            "index.docker.io/user/app, docker.io, user/app, , latest",
            "localhost/app, localhost, app, , latest",
            "localhost:5000/a/b/c:t_1.2-x, localhost:5000, a/b/c, t_1.2-x, t_1.2-x",
            "127.0.0.1:5000/a:v, 127.0.0.1:5000, a, v, v",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:latest, 123456789012.dkr.ecr.eu-west-1.amazonaws.com, team/app, latest, latest",
            "[::1]:5000/app:x, [::1]:5000, app, x, x",
            "ghcr.io/o/r__x.y-z, ghcr.io, o/r__x.y-z, , latest",
    })
    void parsesTheDockerGrammar(String text, String registry, String repo, String tag, String effective) {
        Reference r = Reference.parse(text);
        assertEquals(registry, r.registry());
        assertEquals(repo, r.repository());
        assertEquals(tag, r.tag());
        assertEquals(effective, r.tagOrDefault());
    }

    @Test
    void digestsWinOverTags() {
        Reference r = Reference.parse("host:5000/app:v1@" + D);
        assertEquals("v1", r.tag());
        assertEquals(D, r.digest().toString());
        assertEquals(D, r.identifier());
        assertEquals("host:5000/app:v1@" + D, r.toString());
        assertNull(Reference.parse("host:5000/app@" + D).tag());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "UPPER/case", "host:5000/App:v1", "a/b:-bad", "http://host/app", "a//b", "a/b@sha256:abc",
            "a_/b", "host:5000/:tag"})
    void rejectsMalformedReferencesWithTheInputInTheMessage(String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> Reference.parse(text));
        assertTrue(text.isEmpty() || e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void tagsLongerThan128AreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("a/b:" + "x".repeat(129)));
        assertEquals(128, Reference.parse("a/b:" + "x".repeat(128)).tag().length());
    }

    @Test
    void dockerHubTalksToItsApiHost() {
        assertEquals("registry-1.docker.io", Reference.parse("alpine").apiHost());
        assertEquals("localhost:5000", Reference.parse("localhost:5000/a").apiHost());
    }
}
