package io.polyarch.aws;

import io.polyarch.sign.SignException;
import io.polyarch.sign.Signer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.MessageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;

/**
 * Signs with an AWS KMS key ({@code awskms:///ARN-or-alias}, as cosign names them) that never leaves KMS: the
 * message's SHA-256 is sent to {@code Sign} (ECDSA_SHA_256, as a digest), which answers with a DER signature, as
 * a key file would. For CodeBuild jobs, whose role may sign but that hold no key file.
 */
public final class KmsSigner implements Signer {
    private final AwsSetup aws;
    private final String keyId;
    private final String uri;
    private PublicKey publicKey;

    private KmsSigner(AwsSetup aws, String keyId, String uri) {
        this.aws = aws;
        this.keyId = keyId;
        this.uri = uri;
    }

    /** Opens the key and reads its public half (which also proves the key can be reached). */
    public static KmsSigner open(String uri, Map<String, String> env) throws SignException {
        if (uri == null || !uri.startsWith("awskms://")) throw SignException.usage("'" + uri + "': expected awskms:///ARN-or-alias");
        String rest = uri.substring("awskms://".length());
        int slash = rest.indexOf('/');
        String keyId = slash < 0 ? rest : rest.substring(slash + 1);
        if (keyId.isEmpty()) throw SignException.usage("'" + uri + "' names no key: awskms:///arn:aws:kms:REGION:ACCOUNT:key/ID or awskms:///alias/NAME");
        String region = keyId.startsWith("arn:") && keyId.split(":").length > 3 ? keyId.split(":")[3] : null;
        AwsSetup aws;
        try {
            aws = AwsSetup.fromEnv(env, region);
        } catch (AwsException e) {
            throw SignException.usage("sign.kms " + uri + ": " + e.getMessage());
        }
        KmsSigner s = new KmsSigner(aws, keyId, uri);
        s.publicKey();
        return s;
    }

    @Override
    public synchronized PublicKey publicKey() throws SignException {
        if (publicKey != null) return publicKey;
        try (KmsClient kms = aws.client(KmsClient.builder())) {
            byte[] der = kms.getPublicKey(b -> b.keyId(keyId)).publicKey().asByteArray();
            publicKey = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
            return publicKey;
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw SignException.failure("KMS GetPublicKey of " + uri + ": " + AwsSetup.firstLine(e), null);
        } catch (GeneralSecurityException e) {
            throw SignException.usage("KMS key " + uri + " is not an ECDSA key (cosign signatures need ECC_NIST_P256)");
        }
    }

    @Override
    public byte[] sign(byte[] message) throws SignException {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(message);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (KmsClient kms = aws.client(KmsClient.builder())) {
            return kms.sign(b -> b.keyId(keyId).message(SdkBytes.fromByteArray(digest)).messageType(MessageType.DIGEST)
                    .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)).signature().asByteArray();
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw SignException.failure("KMS Sign with " + uri + ": " + AwsSetup.firstLine(e), null);
        }
    }

    @Override
    public String describe() {
        return uri;
    }
}
