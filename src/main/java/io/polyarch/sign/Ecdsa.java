package io.polyarch.sign;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** ECDSA with SHA-256 through the JDK: signing with a private key, and checking a signature with a public one. */
final class Ecdsa {
    private Ecdsa() {
    }

    static Signer signer(PrivateKey key, PublicKey pub, String describe) {
        return new Signer() {
            @Override
            public byte[] sign(byte[] message) throws SignException {
                try {
                    Signature s = Signature.getInstance("SHA256withECDSA");
                    s.initSign(key);
                    s.update(message);
                    return s.sign();
                } catch (GeneralSecurityException e) {
                    throw SignException.failure("cannot sign with " + describe + ": " + e.getMessage(), null);
                }
            }

            @Override
            public PublicKey publicKey() {
                return pub;
            }

            @Override
            public String describe() {
                return describe;
            }
        };
    }

    /** Whether {@code signature} (DER) over {@code message} was made by {@code key}; a malformed one is simply false. */
    static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature s = Signature.getInstance(key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
