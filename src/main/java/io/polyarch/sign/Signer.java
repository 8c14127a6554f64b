package io.polyarch.sign;

import java.security.PublicKey;

/**
 * Makes the signatures cosign checks with {@code --key}: ECDSA over SHA-256 of a message, ASN.1 DER. A key file
 * ({@link KeyFiles}) or a key that never leaves its service (AWS KMS).
 */
public interface Signer {
    byte[] sign(byte[] message) throws SignException;

    /** The public half, to tell whether something is already signed by this key. */
    PublicKey publicKey() throws SignException;

    /** For messages: which key, never any of its material. */
    String describe();
}
