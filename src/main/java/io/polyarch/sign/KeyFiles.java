package io.polyarch.sign;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Key files as cosign writes and reads them: a private key from {@code cosign generate-key-pair} (PEM
 * {@code ENCRYPTED SIGSTORE PRIVATE KEY} or the older {@code ENCRYPTED COSIGN PRIVATE KEY}: a PKCS#8 key sealed
 * with NaCl secretbox under a key derived by scrypt from the password), an unencrypted PKCS#8 EC P-256
 * {@code PRIVATE KEY}, and a {@code PUBLIC KEY}. The password comes as cosign takes it, from {@code COSIGN_PASSWORD}.
 * Errors name the file and never any key material or the password.
 */
public final class KeyFiles {
    static final long MAX_FILE = 64 << 10;
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

    private KeyFiles() {
    }

    private record Pem(String type, byte[] der) {
    }

    private static Pem pem(Path file, String what) throws SignException {
        String text;
        try {
            if (Files.size(file) > MAX_FILE) throw SignException.usage(file + ": larger than " + MAX_FILE + " bytes; not a " + what);
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw SignException.usage(file + ": no such key file (make one with `cosign generate-key-pair`)");
        } catch (IOException | RuntimeException e) {
            throw SignException.usage(file + ": cannot read the " + what + " (" + e.getClass().getSimpleName() + ")");
        }
        Matcher m = PEM.matcher(text);
        if (!m.find()) throw SignException.usage(file + ": not a PEM " + what + " (expected -----BEGIN ... KEY-----)");
        try {
            return new Pem(m.group(1), Base64.getMimeDecoder().decode(m.group(2)));
        } catch (IllegalArgumentException e) {
            throw SignException.usage(file + ": the PEM block is not valid base64");
        }
    }

    /**
     * A signer for a private key file. {@code password} is {@code COSIGN_PASSWORD} (null when unset); an encrypted key
     * needs it. A wrong password is a failure (exit 1), a file that is not a key a usage error (exit 2).
     */
    public static Signer signer(Path file, String password) throws SignException {
        Pem p = pem(file, "private key");
        byte[] pkcs8 = switch (p.type()) {
            case "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY" -> {
                if (password == null) {
                    throw SignException.usage(file + " is encrypted: set COSIGN_PASSWORD to its password (as for cosign sign)");
                }
                yield decrypt(file, p.der(), password);
            }
            case "PRIVATE KEY" -> p.der();
            case "EC PRIVATE KEY" -> throw SignException.usage(file + ": a SEC 1 EC key; convert it to PKCS#8 with "
                    + "`openssl pkcs8 -topk8 -nocrypt -in KEY -out key.pem`, or use a cosign key");
            default -> throw SignException.usage(file + ": a PEM " + p.type() + ", not a private key");
        };
        PrivateKey key;
        try {
            key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw SignException.usage(file + ": not an EC private key (cosign keys are ECDSA P-256)");
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
        if (!(key instanceof ECPrivateKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw SignException.usage(file + ": an EC key on another curve; cosign keys are ECDSA P-256");
        }
        return Ecdsa.signer(key, publicOf(ec), "key " + file.getFileName());
    }

    /** A public key file ({@code cosign.pub}). */
    public static PublicKey publicKey(Path file) throws SignException {
        Pem p = pem(file, "public key");
        if (!p.type().equals("PUBLIC KEY")) throw SignException.usage(file + ": a PEM " + p.type() + ", not a PUBLIC KEY (cosign.pub)");
        for (String alg : new String[]{"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(p.der()));
            } catch (GeneralSecurityException next) {
                // try the next algorithm
            }
        }
        throw SignException.usage(file + ": not an EC or RSA public key");
    }

    /** The public point d·G of an EC private key, with the key's own curve parameters. */
    private static PublicKey publicOf(ECPrivateKey k) throws SignException {
        var x9 = org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256r1");
        var q = x9.getG().multiply(k.getS()).normalize();
        try {
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                    new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), k.getParams()));
        } catch (GeneralSecurityException e) {
            throw SignException.usage("the private key's public half cannot be formed: " + e.getMessage());
        }
    }

    /** secure-systems-lab's "encrypted" format: {kdf: scrypt(N, r, p, salt), cipher: nacl/secretbox(nonce), ciphertext}. */
    private static byte[] decrypt(Path file, byte[] json, String password) throws SignException {
        JsonNode n;
        try {
            n = OciJson.readTree(json, file.toString());
        } catch (IllegalArgumentException e) {
            throw SignException.usage(file + ": the encrypted key is not the JSON cosign writes");
        }
        JsonNode kdf = n.path("kdf");
        JsonNode cipher = n.path("cipher");
        if (!kdf.path("name").asText().equals("scrypt") || !cipher.path("name").asText().equals("nacl/secretbox")) {
            throw SignException.usage(file + ": encrypted with " + kdf.path("name").asText("?") + "/" + cipher.path("name").asText("?")
                    + "; expected scrypt and nacl/secretbox (cosign generate-key-pair)");
        }
        long cost = kdf.path("params").path("N").asLong();
        int r = kdf.path("params").path("r").asInt();
        int par = kdf.path("params").path("p").asInt();
        // a hostile key file must not make polyarch spend gigabytes: cosign writes N=2^15..2^16, r=8, p=1
        if (cost < 2 || cost > 1 << 20 || Long.bitCount(cost) != 1 || r < 1 || r > 32 || par < 1 || par > 16) {
            throw SignException.usage(file + ": scrypt parameters out of range (N " + cost + ", r " + r + ", p " + par + ")");
        }
        byte[] salt;
        byte[] nonce;
        byte[] sealed;
        try {
            salt = Base64.getDecoder().decode(kdf.path("salt").asText());
            nonce = Base64.getDecoder().decode(cipher.path("nonce").asText());
            sealed = Base64.getDecoder().decode(n.path("ciphertext").asText());
        } catch (IllegalArgumentException e) {
            throw SignException.usage(file + ": the encrypted key's salt, nonce or ciphertext is not base64");
        }
        if (nonce.length != 24 || sealed.length < 16) throw SignException.usage(file + ": the encrypted key is truncated");
        byte[] key = SCrypt.generate(password.getBytes(StandardCharsets.UTF_8), salt, (int) cost, r, par, 32);
        try {
            return open(sealed, nonce, key);
        } catch (SecurityException e) {
            throw SignException.failure(file + ": wrong password (COSIGN_PASSWORD does not open this key)", null);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** NaCl secretbox open: XSalsa20 keystream, its first 32 bytes the Poly1305 key; the box is tag || ciphertext. */
    static byte[] open(byte[] box, byte[] nonce, byte[] key) {
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] polyKey = new byte[32];
        x.processBytes(new byte[32], 0, 32, polyKey, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(box, 16, box.length - 16);
        byte[] tag = new byte[16];
        mac.doFinal(tag, 0);
        if (!MessageDigest.isEqual(tag, Arrays.copyOf(box, 16))) throw new SecurityException("secretbox: authentication failed");
        byte[] out = new byte[box.length - 16];
        x.processBytes(box, 16, out.length, out, 0);
        return out;
    }

    /** NaCl secretbox seal, the inverse of {@link #open} (for tests that write a key as cosign would). */
    static byte[] seal(byte[] message, byte[] nonce, byte[] key) {
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] polyKey = new byte[32];
        x.processBytes(new byte[32], 0, 32, polyKey, 0);
        byte[] c = new byte[message.length];
        x.processBytes(message, 0, message.length, c, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(c, 0, c.length);
        byte[] box = new byte[16 + c.length];
        mac.doFinal(box, 0);
        System.arraycopy(c, 0, box, 16, c.length);
        return box;
    }
}
