package io.polyarch.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON codec for the OCI wire formats. Writing is deterministic (fixed field order, annotations sorted,
 * empty fields omitted) so that the same inputs always give the same bytes and so the same digest:
 * that is what makes re-publishing an unchanged index a no-op.
 */
public final class OciJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private OciJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads the media type a manifest declares, or infers it from its shape when the field is absent. */
    public static MediaType detectMediaType(byte[] bytes, MediaType fallback) {
        JsonNode n = readTree(bytes, "manifest");
        if (n.hasNonNull("mediaType")) return MediaType.of(n.get("mediaType").asText());
        if (fallback != null && fallback.isManifest()) return fallback;
        if (n.has("manifests")) return MediaType.OCI_INDEX;
        if (n.has("config")) return MediaType.OCI_MANIFEST;
        throw new IllegalArgumentException("not a manifest: no mediaType, config or manifests field");
    }

    public static Manifest parseManifest(MediaType declared, byte[] bytes) {
        JsonNode n = readTree(bytes, "manifest");
        MediaType mt = n.hasNonNull("mediaType") ? MediaType.of(n.get("mediaType").asText()) : declared;
        if (n.has("schemaVersion") && n.get("schemaVersion").asInt() != 2) {
            throw new IllegalArgumentException("unsupported manifest schemaVersion " + n.get("schemaVersion").asText()
                    + " (Docker schema 1 images are deprecated; re-push the image with a current client)");
        }
        Map<String, String> annotations = stringMap(n.get("annotations"));
        Descriptor subject = n.hasNonNull("subject") ? descriptor(n.get("subject")) : null;
        String artifactType = text(n, "artifactType");
        if (mt.isIndex() || (n.has("manifests") && !n.has("config"))) {
            List<Descriptor> children = new ArrayList<>();
            for (JsonNode c : iter(n.get("manifests"))) children.add(descriptor(c));
            return new ImageIndex(mt.isIndex() ? mt : MediaType.OCI_INDEX, children, subject, artifactType, annotations);
        }
        if (!n.has("config")) throw new IllegalArgumentException("manifest of type " + mt + " has no config");
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : iter(n.get("layers"))) layers.add(descriptor(l));
        return new ImageManifest(mt.isImageManifest() ? mt : MediaType.OCI_MANIFEST, descriptor(n.get("config")), layers,
                subject, artifactType, annotations);
    }

    public static ImageConfig parseConfig(byte[] bytes) {
        JsonNode n = readTree(bytes, "image config");
        Platform p = null;
        String os = text(n, "os");
        String arch = text(n, "architecture");
        if (os != null && arch != null) {
            List<String> features = new ArrayList<>();
            for (JsonNode f : iter(n.get("os.features"))) features.add(f.asText());
            p = new Platform(os, arch, text(n, "variant"), text(n, "os.version"), features);
        }
        Map<String, String> labels = n.path("config").has("Labels") ? stringMap(n.path("config").get("Labels")) : Map.of();
        List<Digest> diffIds = new ArrayList<>();
        for (JsonNode d : iter(n.path("rootfs").get("diff_ids"))) diffIds.add(Digest.parse(d.asText()));
        return new ImageConfig(p, labels, diffIds, text(n, "created"));
    }

    public static Descriptor descriptor(JsonNode n) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("descriptor is not a JSON object");
        String mt = text(n, "mediaType");
        if (mt == null) throw new IllegalArgumentException("descriptor has no mediaType");
        List<String> urls = new ArrayList<>();
        for (JsonNode u : iter(n.get("urls"))) urls.add(u.asText());
        Platform platform = null;
        if (n.hasNonNull("platform")) {
            JsonNode p = n.get("platform");
            List<String> features = new ArrayList<>();
            for (JsonNode f : iter(p.get("os.features"))) features.add(f.asText());
            platform = new Platform(text(p, "os"), text(p, "architecture"), text(p, "variant"), text(p, "os.version"), features);
        }
        if (!n.has("size")) throw new IllegalArgumentException("descriptor " + text(n, "digest") + " has no size");
        return new Descriptor(MediaType.of(mt), Digest.parse(text(n, "digest")), n.get("size").asLong(), urls,
                stringMap(n.get("annotations")), platform, text(n, "artifactType"));
    }

    /** Serialises an index deterministically. Docker manifest lists carry no annotations, so they are dropped there. */
    public static byte[] write(ImageIndex index) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schemaVersion", 2);
        o.put("mediaType", index.mediaType().value());
        if (index.artifactType() != null) o.put("artifactType", index.artifactType());
        ArrayNode arr = o.putArray("manifests");
        boolean docker = index.mediaType().isDocker();
        for (Descriptor d : index.manifests()) arr.add(descriptorNode(docker ? d.withAnnotations(Map.of()) : d));
        if (index.subject() != null) o.set("subject", descriptorNode(index.subject()));
        if (!docker && !index.annotations().isEmpty()) o.set("annotations", mapNode(index.annotations()));
        return bytes(o);
    }

    public static byte[] write(ImageManifest m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schemaVersion", 2);
        o.put("mediaType", m.mediaType().value());
        if (m.artifactType() != null) o.put("artifactType", m.artifactType());
        o.set("config", descriptorNode(m.config()));
        ArrayNode arr = o.putArray("layers");
        for (Descriptor d : m.layers()) arr.add(descriptorNode(d));
        if (m.subject() != null) o.set("subject", descriptorNode(m.subject()));
        if (!m.annotations().isEmpty()) o.set("annotations", mapNode(m.annotations()));
        return bytes(o);
    }

    public static ObjectNode descriptorNode(Descriptor d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("mediaType", d.mediaType().value());
        o.put("digest", d.digest().toString());
        o.put("size", d.size());
        if (d.artifactType() != null) o.put("artifactType", d.artifactType());
        if (!d.urls().isEmpty()) {
            ArrayNode u = o.putArray("urls");
            d.urls().forEach(u::add);
        }
        if (!d.annotations().isEmpty()) o.set("annotations", mapNode(d.annotations()));
        if (d.platform() != null) o.set("platform", platformNode(d.platform()));
        return o;
    }

    public static ObjectNode platformNode(Platform p) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("architecture", p.architecture());
        o.put("os", p.os());
        if (p.osVersion() != null) o.put("os.version", p.osVersion());
        if (!p.osFeatures().isEmpty()) {
            ArrayNode f = o.putArray("os.features");
            p.osFeatures().forEach(f::add);
        }
        if (p.variant() != null) o.put("variant", p.variant());
        return o;
    }

    private static ObjectNode mapNode(Map<String, String> m) {
        ObjectNode o = MAPPER.createObjectNode();
        new TreeMap<>(m).forEach(o::put);
        return o;
    }

    public static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode readTree(byte[] bytes, String what) {
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (n == null || !n.isObject()) throw new IllegalArgumentException(what + " is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Iterable<JsonNode> iter(JsonNode n) {
        return n == null || n.isNull() ? List.of() : n;
    }

    private static Map<String, String> stringMap(JsonNode n) {
        if (n == null || n.isNull()) return Map.of();
        Map<String, String> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }
}
