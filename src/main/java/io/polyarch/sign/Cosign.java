package io.polyarch.sign;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.polyarch.oci.Digest;
import io.polyarch.oci.OciJson;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * cosign's formats, so that {@code cosign verify} and {@code cosign verify-attestation} read what polyarch writes with
 * their defaults: a signature is a "simple signing" payload naming the image digest, signed, stored as a layer of the
 * image under the tag {@code sha256-<hex>.sig} with the base64 signature in an annotation; an attestation is a DSSE
 * envelope of an in-toto statement, a layer of the image under {@code sha256-<hex>.att}.
 */
public final class Cosign {
    public static final String SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String PREDICATE_ANNOTATION = "predicateType";
    public static final String IN_TOTO = "application/vnd.in-toto+json";
    public static final String SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

    private Cosign() {
    }

    public static String signatureTag(Digest d) {
        return d.algorithm() + "-" + d.hex() + ".sig";
    }

    public static String attestationTag(Digest d) {
        return d.algorithm() + "-" + d.hex() + ".att";
    }

    /** The payload a signature covers: this image digest, in this repository. */
    public static byte[] simpleSigning(String repository, Digest d) {
        ObjectNode root = OciJson.mapper().createObjectNode();
        ObjectNode critical = root.putObject("critical");
        critical.putObject("identity").put("docker-reference", repository);
        critical.putObject("image").put("docker-manifest-digest", d.toString());
        critical.put("type", "cosign container image signature");
        root.putNull("optional");
        return OciJson.bytes(root);
    }

    /** DSSE's pre-authentication encoding: what an envelope's signature covers. */
    static byte[] pae(String payloadType, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        b.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(type);
        b.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.UTF_8));
        b.writeBytes(payload);
        return b.toByteArray();
    }

    /** An in-toto statement in a DSSE envelope, signed by {@code signer}, or with no signature when it is null. */
    public static byte[] envelope(byte[] statement, Signer signer) throws SignException {
        ObjectNode env = OciJson.mapper().createObjectNode();
        env.put("payloadType", IN_TOTO);
        env.put("payload", Base64.getEncoder().encodeToString(statement));
        var sigs = env.putArray("signatures");
        if (signer != null) sigs.addObject().put("keyid", "").put("sig", Base64.getEncoder().encodeToString(signer.sign(pae(IN_TOTO, statement))));
        return OciJson.bytes(env);
    }
}
