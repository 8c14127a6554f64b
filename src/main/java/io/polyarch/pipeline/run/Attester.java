package io.polyarch.pipeline.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.git.GitSource;
import io.polyarch.oci.Digest;
import io.polyarch.oci.RawManifest;
import io.polyarch.pipeline.plan.Plan;
import io.polyarch.sign.Attachments;
import io.polyarch.sign.Cosign;
import io.polyarch.sign.SignException;
import io.polyarch.sign.Signer;
import io.polyarch.store.StoreException;
import io.polyarch.store.StoreRef;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a run writes about its images besides the images: each platform's SLSA provenance (an attestation of the
 * manifest the index lists) and, with a signer, cosign signatures of every image and of the index, all before any
 * tag that users pull moves. A reused image is signed again only where this key's signature is missing; its
 * provenance is the one written when it was built.
 */
final class Attester {
    private final RunContext run;
    private final Plan plan;
    private final GitSource.Checkout src;
    private final boolean provenance;
    private final List<String> signed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    Attester(RunContext run, Plan plan, GitSource.Checkout src, boolean provenance) {
        this.run = run;
        this.plan = plan;
        this.src = src;
        this.provenance = provenance;
    }

    /** Whether anything is written at all: an OCI layout destination gets neither (extra names confuse tools there). */
    boolean active() {
        return plan.destination() instanceof StoreRef.Registry && (provenance || run.opts().signer() != null);
    }

    private Attachments attachments() {
        return new Attachments(run.target(), RunReport.repositoryOf(plan.destination()));
    }

    /** The provenance of an image built in this run, about {@code subject} (the pushed image or its SOCI v2 copy). */
    void provenance(Plan.Variant v, CellJob j, CellState c, Digest subject) throws StoreException {
        if (!active() || !provenance) return;
        byte[] statement = Provenance.statement(new Provenance.Facts(RunReport.repositoryOf(plan.destination()), subject, src, v, j.cell(),
                plan.context().relativize(v.dockerfilePath()).toString(), j.pinned(), j.builder().describe(), j.key(), c.started, c.finished,
                run.opts().env()));
        attach(subject, statement);
    }

    /**
     * A reused image listed under another digest (its SOCI v2 copy): the provenance written when it was built, about
     * the copy. Nothing when the build wrote none.
     */
    void copyProvenance(Digest from, Digest to) throws StoreException {
        if (!active() || !provenance || from.equals(to)) return;
        Attachments a = attachments();
        if (!a.attestations(to).isEmpty()) return;
        for (Attachments.Layer l : a.attestations(from)) {
            Optional<JsonNode> st = Attachments.statement(l.payload());
            if (st.isPresent() && Cosign.SLSA_PROVENANCE_V1.equals(st.get().path("predicateType").asText())) {
                attach(to, Provenance.resubject(st.get(), to));
                return;
            }
        }
    }

    private void attach(Digest subject, byte[] statement) throws StoreException {
        try {
            attachments().attest(subject, Cosign.envelope(statement, run.opts().signer()), Cosign.SLSA_PROVENANCE_V1);
        } catch (SignException e) {
            throw new StoreException("sign the provenance of " + subject.shortHex(), e.getMessage(), false, null);
        }
    }

    /** Signs {@code d} (an image or the index) unless this key's signature is there. */
    void sign(Digest d) throws StoreException {
        Signer s = run.opts().signer();
        if (s == null || !(plan.destination() instanceof StoreRef.Registry)) return;
        try {
            if (attachments().sign(d, s)) signed.add("signed " + RunReport.repositoryOf(plan.destination()) + "@" + d + " with " + s.describe());
        } catch (SignException e) {
            throw new StoreException("sign " + d.shortHex(), e.getMessage(), false, null);
        }
    }

    /** What this run signed (those already signed by the key are not listed), for the summary. */
    List<String> signed() {
        synchronized (signed) {
            return List.copyOf(signed);
        }
    }

    /**
     * The signatures and attestations of the index and each of its entries, into another destination that holds the
     * index now (the layers it lacks: another key's signatures there stay).
     */
    void copyTo(RawManifest index, io.polyarch.store.ContentStore to, StoreRef repository) throws StoreException {
        if (!active() || !(repository instanceof StoreRef.Registry)) return;
        Attachments mine = attachments();
        Attachments theirs = new Attachments(to, RunReport.repositoryOf(repository));
        if (io.polyarch.ops.Images.parse(index, "the index " + index.digest()) instanceof io.polyarch.oci.ImageIndex idx) {
            for (io.polyarch.oci.Descriptor d : idx.manifests()) mine.copyTo(theirs, d.digest());
        }
        mine.copyTo(theirs, index.digest());
    }

    /** Everything about one variant's published index and children, called once the index is pushed by digest. */
    void beforeTags(Plan.Variant v, Map<String, CellJob> jobs, Map<String, CellState> cells, RawManifest index) throws StoreException {
        for (Plan.Cell cell : v.cells()) {
            CellState c = cells.get(cell.name());
            Digest listed = c.published.digest();
            if (c.reused == null && !listed.equals(c.manifest.digest())) provenance(v, jobs.get(cell.name()), c, listed);
            else copyProvenance(c.manifest.digest(), listed);
            sign(listed);
            if (c.sociIndex != null) sign(c.sociIndex.digest()); // every entry, as cosign sign --recursive
        }
        sign(index.digest());
    }
}
