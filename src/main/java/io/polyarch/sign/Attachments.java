package io.polyarch.sign;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.MediaType;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The signatures and attestations of the manifests in one repository, read and written in cosign's layout
 * ({@link Cosign}): each a layer of the small image under {@code sha256-<hex>.sig} or {@code .att}, to which a new
 * one is added beside those already there (other keys' signatures are kept).
 */
public final class Attachments {
    /** Layers of a signature or attestation image read whole; cosign's own limit is of this order. */
    static final long MAX_LAYER = 4 << 20;
    static final int MAX_LAYERS = 1000;
    private final ContentStore store;
    private final String repository;

    /** @param repository the repository as cosign names it in a signature ({@code host/path}) */
    public Attachments(ContentStore store, String repository) {
        this.store = store;
        this.repository = repository;
    }

    /** One layer: its payload, and its signature (the annotation) when it is a signature layer. */
    public record Layer(Descriptor descriptor, byte[] payload, byte[] signature) {
    }

    /**
     * Signs {@code d} unless a signature of {@code signer}'s key over it is already there. Returns whether one was
     * added.
     */
    public boolean sign(Digest d, Signer signer) throws StoreException, SignException {
        PublicKey pub = signer.publicKey();
        for (Layer l : layers(Cosign.signatureTag(d))) if (signatureBy(l, pub, d)) return false;
        byte[] payload = Cosign.simpleSigning(repository, d);
        byte[] sig = signer.sign(payload);
        add(Cosign.signatureTag(d), Cosign.SIMPLE_SIGNING, payload, Map.of(Cosign.SIGNATURE_ANNOTATION, Base64.getEncoder().encodeToString(sig)));
        return true;
    }

    /** Adds an attestation envelope of {@code d} with this predicate type, unless the same bytes are there already. */
    public void attest(Digest d, byte[] envelope, String predicateType) throws StoreException {
        for (Layer l : layers(Cosign.attestationTag(d))) if (java.util.Arrays.equals(l.payload(), envelope)) return;
        add(Cosign.attestationTag(d), Cosign.DSSE_ENVELOPE, envelope, Map.of(Cosign.SIGNATURE_ANNOTATION, "", Cosign.PREDICATE_ANNOTATION, predicateType));
    }

    /** The signature layers of {@code d}. */
    public List<Layer> signatures(Digest d) throws StoreException {
        return layers(Cosign.signatureTag(d));
    }

    /** The attestation envelopes of {@code d}. */
    public List<Layer> attestations(Digest d) throws StoreException {
        return layers(Cosign.attestationTag(d));
    }

    /** Whether a simple-signing payload names {@code d} as its image. */
    static boolean payloadNames(byte[] payload, Digest d) {
        try {
            return d.toString().equals(OciJson.readTree(payload, "signature payload").path("critical").path("image").path("docker-manifest-digest").asText());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private List<Layer> layers(String tag) throws StoreException {
        Optional<RawManifest> m = store.getManifest(tag);
        if (m.isEmpty()) return List.of();
        if (!(m.get().tryParse().orElse(null) instanceof ImageManifest im)) return List.of();
        List<Layer> out = new ArrayList<>();
        for (Descriptor l : im.layers().subList(0, Math.min(MAX_LAYERS, im.layers().size()))) {
            if (l.size() > MAX_LAYER) continue;
            byte[] body;
            try (InputStream in = store.openBlob(l)) {
                body = in.readNBytes((int) MAX_LAYER + 1);
            } catch (IOException e) {
                throw new StoreException("read " + tag + " from " + store.describe(), e.getMessage(), true, e);
            }
            String b64 = l.annotations() == null ? null : l.annotations().get(Cosign.SIGNATURE_ANNOTATION);
            byte[] sig = null;
            if (b64 != null && !b64.isEmpty()) {
                try {
                    sig = Base64.getDecoder().decode(b64);
                } catch (IllegalArgumentException notBase64) {
                    sig = null;
                }
            }
            out.add(new Layer(l, body, sig));
        }
        return out;
    }

    /**
     * Copies the signatures and attestations of {@code d} to another store (a second destination of the same index):
     * where it has none, the same image under the same tag; where it has some (another key's), only the layers it
     * lacks are added, so nothing there is lost. Returns how many layers were added.
     */
    public int copyTo(Attachments to, Digest d) throws StoreException {
        int added = 0;
        for (String tag : List.of(Cosign.signatureTag(d), Cosign.attestationTag(d))) {
            Optional<RawManifest> mine = store.getManifest(tag);
            if (mine.isEmpty() || !(mine.get().tryParse().orElse(null) instanceof ImageManifest im)) continue;
            Optional<RawManifest> theirs = to.store.getManifest(tag);
            if (theirs.isPresent() && theirs.get().digest().equals(mine.get().digest())) continue;
            List<Descriptor> have = theirs.isPresent() && theirs.get().tryParse().orElse(null) instanceof ImageManifest other ? other.layers() : List.of();
            List<Descriptor> missing = im.layers().stream()
                    .filter(l -> have.stream().noneMatch(h -> h.digest().equals(l.digest()) && java.util.Objects.equals(h.annotations(), l.annotations())))
                    .toList();
            for (Descriptor l : missing) {
                if (l.size() > MAX_LAYER) throw new StoreException("copy " + tag, "a layer of " + l.size() + " bytes; more than a signature holds", false, null);
                if (to.store.statBlob(l.digest()).isPresent()) continue;
                byte[] body;
                try (InputStream in = store.openBlob(l)) {
                    body = in.readNBytes((int) MAX_LAYER + 1);
                } catch (IOException e) {
                    throw new StoreException("read " + tag + " from " + store.describe(), e.getMessage(), true, e);
                }
                to.store.putBlob(l, () -> new ByteArrayInputStream(body));
            }
            if (theirs.isEmpty()) {
                if (to.store.statBlob(im.config().digest()).isEmpty()) to.store.putBlob(im.config(), () -> store.openBlob(im.config()));
                to.store.putManifest(mine.get(), tag);
                added += im.layers().size();
            } else if (!missing.isEmpty()) {
                List<Descriptor> layers = new ArrayList<>(have);
                layers.addAll(missing);
                to.write(tag, layers);
                added += missing.size();
            }
        }
        return added;
    }

    /** Pushes one more layer into the image under {@code tag} (made if absent), config listing every layer as cosign's does. */
    private void add(String tag, String layerType, byte[] body, Map<String, String> annotations) throws StoreException {
        List<Descriptor> layers = new ArrayList<>();
        Optional<RawManifest> existing = store.getManifest(tag);
        // an image there that is not one we can read is written over by ours
        if (existing.isPresent() && existing.get().tryParse().orElse(null) instanceof ImageManifest im) layers.addAll(im.layers());
        Descriptor layer = Descriptor.of(new MediaType(layerType), body).withAnnotations(new LinkedHashMap<>(annotations));
        store.putBlob(layer, () -> new ByteArrayInputStream(body));
        layers.add(layer);
        write(tag, layers);
    }

    /** The image of these layers under {@code tag}, config listing every layer as cosign's does (the layers are there). */
    private void write(String tag, List<Descriptor> layers) throws StoreException {
        var cfg = OciJson.mapper().createObjectNode();
        cfg.put("architecture", "");
        cfg.put("created", "0001-01-01T00:00:00Z");
        cfg.putArray("history").addObject().put("created", "0001-01-01T00:00:00Z");
        cfg.put("os", "");
        var rootfs = cfg.putObject("rootfs");
        rootfs.put("type", "layers");
        var ids = rootfs.putArray("diff_ids");
        layers.forEach(l -> ids.add(l.digest().toString()));
        cfg.putObject("config");
        byte[] cfgBytes = OciJson.bytes(cfg);
        Descriptor config = Descriptor.of(MediaType.OCI_CONFIG, cfgBytes);
        store.putBlob(config, () -> new ByteArrayInputStream(cfgBytes));
        ImageManifest sigImage = new ImageManifest(MediaType.OCI_MANIFEST, config, layers, null, null, null);
        store.putManifest(RawManifest.of(MediaType.OCI_MANIFEST, OciJson.write(sigImage)), tag);
    }

    /** Reads an envelope's statement; empty when it is not an in-toto DSSE envelope. */
    public static Optional<JsonNode> statement(byte[] envelope) {
        try {
            JsonNode env = OciJson.readTree(envelope, "attestation");
            if (!Cosign.IN_TOTO.equals(env.path("payloadType").asText())) return Optional.empty();
            return Optional.of(OciJson.readTree(Base64.getDecoder().decode(env.path("payload").asText()), "in-toto statement"));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether an envelope carries a signature of {@code key} over its statement. */
    public static boolean envelopeSignedBy(byte[] envelope, PublicKey key) {
        try {
            JsonNode env = OciJson.readTree(envelope, "attestation");
            byte[] payload = Base64.getDecoder().decode(env.path("payload").asText());
            byte[] pae = Cosign.pae(env.path("payloadType").asText(), payload);
            for (JsonNode s : env.path("signatures")) {
                if (Ecdsa.verify(key, pae, Base64.getDecoder().decode(s.path("sig").asText()))) return true;
            }
            return false;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether a signature layer is {@code key}'s over a payload naming {@code d}. */
    public static boolean signatureBy(Layer l, PublicKey key, Digest d) {
        return l.signature() != null && payloadNames(l.payload(), d) && Ecdsa.verify(key, l.payload(), l.signature());
    }
}
