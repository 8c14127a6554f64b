package io.polyarch.sign;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.Descriptor;
import io.polyarch.oci.Digest;
import io.polyarch.oci.ImageIndex;
import io.polyarch.oci.ImageManifest;
import io.polyarch.oci.Manifest;
import io.polyarch.oci.OciJson;
import io.polyarch.oci.RawManifest;
import io.polyarch.store.ContentStore;
import io.polyarch.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code polyarch verify} checks of a published index: this key's signature over the index and over every
 * entry, and for every image its provenance: signed by the key, about that image, and naming among its resolved
 * dependencies the base image whose layers the image's own layers start with.
 */
public final class Verifier {
    /** Opens another repository of a reference ({@code host/repo}) to read a base image from. */
    @FunctionalInterface
    public interface Opener {
        ContentStore open(String repository) throws StoreException;
    }

    /** @param base the base image the provenance names and the layers confirm, or null (none named, or none matched) */
    public record Child(String platform, String digest, boolean signed, boolean provenanceSigned, boolean provenanceSubject,
                        String base, List<String> problems) {
    }

    public record Result(String reference, String digest, boolean signed, List<Child> children, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty() && children.stream().allMatch(c -> c.problems().isEmpty());
        }
    }

    private final PublicKey key;
    private final Opener opener;

    public Verifier(PublicKey key, Opener opener) {
        this.key = key;
        this.opener = opener;
    }

    public Result verify(ContentStore store, String repository, String reference, RawManifest top) throws StoreException {
        Attachments a = new Attachments(store, repository);
        List<String> problems = new ArrayList<>();
        boolean signed = signed(a, top.digest());
        if (!signed) problems.add(reference + " (" + top.digest() + "): no signature of this key");
        List<Child> children = new ArrayList<>();
        Manifest parsed = top.tryParse().orElse(null);
        if (parsed instanceof ImageIndex idx) {
            for (Descriptor d : idx.manifests()) {
                if (d.isAttestation()) continue;
                children.add(child(store, a, repository, d));
            }
        } else if (parsed instanceof ImageManifest) {
            children.add(child(store, a, repository, top.descriptor()));
        } else {
            problems.add(reference + " is not an index or image manifest polyarch can read");
        }
        return new Result(reference, top.digest().toString(), signed, children, problems);
    }

    private boolean signed(Attachments a, Digest d) throws StoreException {
        for (Attachments.Layer l : a.signatures(d)) if (Attachments.signatureBy(l, key, d)) return true;
        return false;
    }

    private Child child(ContentStore store, Attachments a, String repository, Descriptor d) throws StoreException {
        List<String> problems = new ArrayList<>();
        String platform = d.platform() == null ? "(no platform)" : d.platform().toString();
        String what = platform + " " + d.digest().shortHex();
        boolean signed = signed(a, d.digest());
        if (!signed) problems.add(what + ": no signature of this key");
        RawManifest m = store.getManifest(d.digest().toString()).orElse(null);
        if (m == null) {
            problems.add(what + ": not in " + store.describe());
            return new Child(platform, d.digest().toString(), signed, false, false, null, problems);
        }
        if (!(m.tryParse().orElse(null) instanceof ImageManifest im) || im.config().mediaType().value().contains("soci") || d.artifactType() != null) {
            // an artifact listed beside the images (a SOCI index): signed, no provenance of its own
            return new Child(platform, d.digest().toString(), signed, false, false, null, problems);
        }
        boolean provSigned = false;
        boolean provSubject = false;
        String base = null;
        List<String> bases = new ArrayList<>();
        for (Attachments.Layer l : a.attestations(d.digest())) {
            Optional<JsonNode> st = Attachments.statement(l.payload());
            if (st.isEmpty() || !Cosign.SLSA_PROVENANCE_V1.equals(st.get().path("predicateType").asText())) continue;
            if (!Attachments.envelopeSignedBy(l.payload(), key)) continue;
            provSigned = true;
            for (JsonNode s : st.get().path("subject")) {
                if (d.digest().hex().equals(s.path("digest").path(d.digest().algorithm()).asText())) provSubject = true;
            }
            for (JsonNode dep : st.get().path("predicate").path("buildDefinition").path("resolvedDependencies")) {
                String uri = dep.path("uri").asText();
                String hex = dep.path("digest").path("sha256").asText("");
                if (uri.startsWith("pkg:docker/") && hex.matches("[0-9a-f]{64}")) bases.add(uri.substring("pkg:docker/".length()).replaceFirst("\\?.*$", "") + "@sha256:" + hex);
            }
        }
        if (!provSigned) problems.add(what + ": no SLSA provenance signed by this key");
        else if (!provSubject) problems.add(what + ": its provenance is about another image");
        if (provSigned && !bases.isEmpty()) {
            List<Digest> mine = diffIds(store, im);
            for (String b : bases) {
                int at = b.lastIndexOf('@');
                try (ContentStore bs = opener.open(b.substring(0, at))) {
                    Optional<RawManifest> bm = bs.getManifest(b.substring(at + 1));
                    if (bm.isPresent() && bm.get().tryParse().orElse(null) instanceof ImageManifest bim) {
                        List<Digest> theirs = diffIds(bs, bim);
                        if (mine.size() >= theirs.size() && mine.subList(0, theirs.size()).equals(theirs)) base = b;
                    }
                } catch (StoreException e) {
                    problems.add(what + ": cannot read the base " + b + ": " + e.getMessage());
                }
                if (base != null) break;
            }
            if (base == null) problems.add(what + ": none of the FROM images its provenance names (" + String.join(", ", bases) + ") is the base its layers start with");
        }
        return new Child(platform, d.digest().toString(), signed, provSigned, provSubject, base, problems);
    }


    private static List<Digest> diffIds(ContentStore s, ImageManifest im) throws StoreException {
        if (im.config().size() > 4 << 20) throw new StoreException("read config", "config over 4 MiB");
        try (InputStream in = s.openBlob(im.config())) {
            return OciJson.parseConfig(in.readAllBytes()).diffIds();
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreException("read config " + im.config().digest(), String.valueOf(e.getMessage()), false, null);
        }
    }
}
