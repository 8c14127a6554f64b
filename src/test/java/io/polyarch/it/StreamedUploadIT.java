package io.polyarch.it;

import io.polyarch.oci.Descriptor;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.Reference;
import io.polyarch.registry.Registries;
import io.polyarch.registry.RegistryClient;
import io.polyarch.registry.RegistryOptions;
import io.polyarch.registry.auth.CredentialProvider;
import io.polyarch.registry.auth.Credentials;
import io.polyarch.store.BlobUpload;
import io.polyarch.testing.ScriptedServer;
import io.polyarch.testing.ScriptedServer.Drop;
import io.polyarch.testing.ScriptedServer.Reply;
import io.polyarch.testing.TestRegistry;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Blobs streamed to a registry while they are produced (a layer during its export), digest given at the end. */
class StreamedUploadIT {
    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes in uneven pieces, as a compressor does, reusing one buffer as a compressor does. */
    static void writeInPieces(BlobUpload u, byte[] data) {
        byte[] buf = new byte[70_001];
        for (int off = 0, piece = 1; off < data.length; piece = piece * 7 % 65_537 + 1) {
            int n = Math.min(Math.min(piece, buf.length), data.length - off);
            System.arraycopy(data, off, buf, 0, n);
            u.write(buf, 0, n);
            java.util.Arrays.fill(buf, 0, n, (byte) 0); // the upload must have copied
            off += n;
        }
    }

    @Test
    void aStreamedBlobLandsUnderTheDigestGivenAtTheEndOnARealRegistry() throws Exception {
        try (TestRegistry reg = TestRegistry.htpasswd();
             Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.fixed(reg.host(), new Credentials(TestRegistry.USER, TestRegistry.PASSWORD)))) {
            RegistryClient c = r.open(Reference.parse(reg.host() + "/streamed"), true);
            byte[] data = random(5 * 1024 * 1024 + 17, 1);
            Descriptor d = Descriptor.of(MediaType.OCI_LAYER_GZIP, data);
            BlobUpload u = c.startUpload().orElseThrow();
            writeInPieces(u, data);
            assertNull(u.commit(d), "committed");
            assertEquals(d.size(), c.statBlob(d.digest()).orElseThrow().size());
            try (InputStream in = c.openBlob(d)) {
                assertArrayEquals(data, in.readAllBytes(), "the registry serves the bytes that were streamed");
            }
        }
    }

    @Test
    void aWrongDigestIsRefusedByTheRegistryAndNothingLandsUnderIt() throws Exception {
        try (TestRegistry reg = TestRegistry.plain(); Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS)) {
            RegistryClient c = r.open(Reference.parse(reg.host() + "/streamed"), true);
            byte[] data = random(300_000, 2);
            Descriptor other = Descriptor.of(MediaType.OCI_LAYER_GZIP, random(300_000, 3));
            BlobUpload u = c.startUpload().orElseThrow();
            writeInPieces(u, data);
            String why = u.commit(other);
            assertNotNull(why, "a digest the bytes do not have is not committed");
            assertTrue(c.statBlob(other.digest()).isEmpty());
            assertTrue(c.statBlob(Descriptor.of(MediaType.OCI_LAYER_GZIP, data).digest()).isEmpty());
        }
    }

    @Test
    void anAbortedUploadCommitsNothing() throws Exception {
        try (TestRegistry reg = TestRegistry.plain(); Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS)) {
            RegistryClient c = r.open(Reference.parse(reg.host() + "/streamed"), true);
            byte[] data = random(200_000, 4);
            BlobUpload u = c.startUpload().orElseThrow();
            writeInPieces(u, data);
            u.abort();
            u.write(data, 0, 10); // ignored, never throws
            assertTrue(c.statBlob(Descriptor.of(MediaType.OCI_LAYER_GZIP, data).digest()).isEmpty());
        }
    }

    @Test
    void aRegistryThatFailsOrDropsThePatchNeverFailsTheProducerAndSaysWhy() throws Exception {
        for (boolean drop : new boolean[]{false, true}) {
            try (ScriptedServer s = new ScriptedServer(req -> {
                if (req.path().equals("/v2/")) return Reply.of(200, "{}");
                if (req.method().equals("POST")) return Reply.of(202, "", "Location", "/v2/app/blobs/uploads/u1");
                if (req.method().equals("PATCH")) return drop ? new Drop(0) : Reply.of(500, "{\"errors\":[{\"code\":\"UNKNOWN\"}]}");
                return Reply.of(404, "");
            }); Registries r = new Registries(RegistryOptions.defaults(), CredentialProvider.ANONYMOUS)) {
                RegistryClient c = r.open(Reference.parse(s.host() + "/app"), true);
                byte[] data = random(2 * 1024 * 1024, 5);
                BlobUpload u = c.startUpload().orElseThrow();
                writeInPieces(u, data);
                String why = u.commit(Descriptor.of(MediaType.OCI_LAYER_GZIP, data));
                assertNotNull(why, drop ? "dropped connection" : "500");
                assertTrue(s.requests("PUT", "/v2/app/blobs/uploads/").isEmpty(), "no PUT after a failed PATCH");
            }
        }
    }
}
