package io.polyarch.sign;

import io.polyarch.error.PolyarchException;
import org.bouncycastle.crypto.generators.SCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key files in cosign's formats (the real cosign's files are checked end to end by SignIT), and DSSE's encoding. */
class KeyFilesTest {
    @TempDir
    Path dir;

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A key sealed as secure-systems-lab's "encrypted" package does (small N, to keep the test fast). */
    Path cosignKey(KeyPair kp, String password, long n) throws Exception {
        byte[] salt = new byte[32];
        byte[] nonce = new byte[24];
        new java.security.SecureRandom().nextBytes(salt);
        new java.security.SecureRandom().nextBytes(nonce);
        // a cost too high to compute is written with a key that was not derived from it (the reader must refuse first)
        byte[] key = n > 1 << 20 ? new byte[32] : SCrypt.generate(password.getBytes(StandardCharsets.UTF_8), salt, (int) n, 8, 1, 32);
        byte[] box = KeyFiles.seal(kp.getPrivate().getEncoded(), nonce, key);
        String json = """
                {"kdf":{"name":"scrypt","params":{"N":%d,"r":8,"p":1},"salt":"%s"},"cipher":{"name":"nacl/secretbox","nonce":"%s"},"ciphertext":"%s"}"""
                .formatted(n, Base64.getEncoder().encodeToString(salt), Base64.getEncoder().encodeToString(nonce), Base64.getEncoder().encodeToString(box));
        Path f = dir.resolve("cosign.key");
        Files.writeString(f, pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.getBytes(StandardCharsets.UTF_8)));
        return f;
    }

    @Test
    void anEncryptedKeyOpensWithItsPasswordOnlyAndSignsForItsPublicHalf() throws Exception {
        KeyPair kp = ec();
        Path f = cosignKey(kp, "s3cret", 1 << 10);
        Signer s = KeyFiles.signer(f, "s3cret");
        assertEquals(kp.getPublic(), s.publicKey(), "the public half derived from the private key");
        byte[] msg = "payload".getBytes(StandardCharsets.UTF_8);
        assertTrue(Ecdsa.verify(kp.getPublic(), msg, s.sign(msg)));
        assertFalse(Ecdsa.verify(kp.getPublic(), "other".getBytes(StandardCharsets.UTF_8), s.sign(msg)));

        SignException wrong = assertThrows(SignException.class, () -> KeyFiles.signer(f, "s3cret!"));
        assertEquals(PolyarchException.Kind.FAILURE, wrong.kind());
        assertTrue(wrong.getMessage().contains("wrong password") && !wrong.getMessage().contains("s3cret"), wrong.getMessage());
        SignException none = assertThrows(SignException.class, () -> KeyFiles.signer(f, null));
        assertEquals(PolyarchException.Kind.USAGE, none.kind());
        assertTrue(none.getMessage().contains("COSIGN_PASSWORD"), none.getMessage());
    }

    @Test
    void hostileOrForeignFilesAreUsageErrorsNamingTheFile() throws Exception {
        Path huge = cosignKey(ec(), "x", 1L << 30);
        SignException cost = assertThrows(SignException.class, () -> KeyFiles.signer(huge, "x"));
        assertTrue(cost.getMessage().contains("scrypt parameters out of range"), cost.getMessage());
        SignException missing = assertThrows(SignException.class, () -> KeyFiles.signer(dir.resolve("nope.key"), "x"));
        assertEquals(PolyarchException.Kind.USAGE, missing.kind());
        assertTrue(missing.getMessage().contains("nope.key: no such key file"), missing.getMessage());
        Path pub = dir.resolve("cosign.pub");
        Files.writeString(pub, pem("PUBLIC KEY", ec().getPublic().getEncoded()));
        SignException notPrivate = assertThrows(SignException.class, () -> KeyFiles.signer(pub, null));
        assertTrue(notPrivate.getMessage().contains("not a private key"), notPrivate.getMessage());
        Path rsa = dir.resolve("rsa.pem");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        Files.writeString(rsa, pem("PRIVATE KEY", g.generateKeyPair().getPrivate().getEncoded()));
        assertThrows(SignException.class, () -> KeyFiles.signer(rsa, null));
    }

    @Test
    void anUnencryptedPkcs8KeyAndAPublicKeyFile() throws Exception {
        KeyPair kp = ec();
        Path priv = dir.resolve("ec.pem");
        Files.writeString(priv, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        Path pub = dir.resolve("ec.pub");
        Files.writeString(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
        Signer s = KeyFiles.signer(priv, null);
        byte[] msg = "m".getBytes(StandardCharsets.UTF_8);
        assertTrue(Ecdsa.verify(KeyFiles.publicKey(pub), msg, s.sign(msg)));
    }

    @Test
    void secretboxRejectsAnyChangedByte() {
        byte[] key = new byte[32];
        byte[] nonce = new byte[24];
        key[0] = 7;
        byte[] box = KeyFiles.seal("the key material".getBytes(StandardCharsets.UTF_8), nonce, key);
        assertArrayEquals("the key material".getBytes(StandardCharsets.UTF_8), KeyFiles.open(box, nonce, key));
        for (int i = 0; i < box.length; i += 5) {
            byte[] bad = box.clone();
            bad[i] ^= 1;
            assertThrows(SecurityException.class, () -> KeyFiles.open(bad, nonce, key), "byte " + i);
        }
    }

    @Test
    void dssePreAuthenticationEncodingAsTheSpecGivesIt() {
        assertEquals("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
                new String(Cosign.pae("http://example.com/HelloWorld", "hello world".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }
}
