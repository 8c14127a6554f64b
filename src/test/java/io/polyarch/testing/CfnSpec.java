package io.polyarch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.polyarch.oci.OciJson;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Checks a CloudFormation template against the CloudFormation resource specification as AWS CDK ships it
 * ({@code @aws-cdk/aws-service-spec}'s {@code db.json.gz}, fetched by scripts/setup.sh): every resource type exists,
 * every property exists with a value of its type (recursively through property types), every required property is
 * present, and every {@code Fn::GetAtt} names an attribute the resource has. Intrinsic functions are accepted
 * wherever a value is.
 */
public final class CfnSpec {
    public static final String VERSION = "0.1.216";
    private final Map<String, JsonNode> resources = new HashMap<>();
    private final Map<String, JsonNode> types = new HashMap<>();

    public CfnSpec(Path db) throws IOException {
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(db))) {
            root = OciJson.mapper().readTree(in);
        }
        for (JsonNode r : root.path("schema").path("resource").path("entities")) resources.put(r.path("cloudFormationType").asText(), r);
        for (JsonNode t : root.path("schema").path("typeDefinition").path("entities")) types.put(t.path("$id").asText(), t);
    }

    public static CfnSpec load() throws IOException {
        Path db = TestImages.fixtures().resolve("aws-service-spec-" + VERSION).resolve("db.json.gz");
        if (!Files.isRegularFile(db)) throw new IllegalStateException(db + " missing: run scripts/setup.sh");
        return new CfnSpec(db);
    }

    public int resourceTypes() {
        return resources.size();
    }

    /** Every problem found, each naming the resource and property path; empty when the template is valid. */
    public List<String> validate(JsonNode template) {
        List<String> problems = new ArrayList<>();
        JsonNode res = template.path("Resources");
        for (Iterator<Map.Entry<String, JsonNode>> it = res.fields(); it.hasNext(); ) {
            var e = it.next();
            String id = e.getKey();
            String type = e.getValue().path("Type").asText();
            JsonNode spec = resources.get(type);
            if (spec == null) {
                problems.add(id + ": unknown resource type " + type);
                continue;
            }
            checkObject(id, spec.path("properties"), e.getValue().path("Properties"), problems);
        }
        collectGetAtts(template, res, problems);
        return problems;
    }

    private void checkObject(String where, JsonNode props, JsonNode value, List<String> problems) {
        if (isIntrinsic(value)) return;
        if (!value.isObject() && !value.isMissingNode()) {
            problems.add(where + ": expected an object");
            return;
        }
        for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            JsonNode p = props.get(name);
            if (p == null) {
                problems.add(where + "." + name + ": no such property");
                continue;
            }
            checkValue(where + "." + name, p.path("type"), value.get(name), problems);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            var p = it.next();
            if (p.getValue().path("required").asBoolean(false) && !value.has(p.getKey())) problems.add(where + "." + p.getKey() + ": required, missing");
        }
    }

    private void checkValue(String where, JsonNode type, JsonNode v, List<String> problems) {
        if (isIntrinsic(v)) return;
        switch (type.path("type").asText()) {
            case "string", "date-time" -> {
                if (!v.isTextual()) problems.add(where + ": expected a string, got " + v.getNodeType());
                JsonNode allowed = type.path("allowedValues");
                if (v.isTextual() && allowed.isArray() && !allowed.isEmpty()) {
                    boolean ok = false;
                    for (JsonNode a : allowed) ok |= a.asText().equals(v.asText());
                    if (!ok) problems.add(where + ": '" + v.asText() + "' is not one of " + allowed);
                }
            }
            case "tag" -> {
                if (!v.isObject() || !v.has("Key") || !v.has("Value")) problems.add(where + ": expected a tag {Key, Value}");
            }
            case "number", "integer" -> {
                if (!v.isNumber()) problems.add(where + ": expected a number, got " + v.getNodeType());
            }
            case "boolean" -> {
                if (!v.isBoolean()) problems.add(where + ": expected a boolean, got " + v.getNodeType());
            }
            case "json" -> {
            }
            case "array" -> {
                if (!v.isArray()) {
                    problems.add(where + ": expected a list");
                    return;
                }
                for (int i = 0; i < v.size(); i++) checkValue(where + "[" + i + "]", type.path("element"), v.get(i), problems);
            }
            case "map" -> {
                if (!v.isObject()) {
                    problems.add(where + ": expected a map");
                    return;
                }
                v.fields().forEachRemaining(f -> checkValue(where + "." + f.getKey(), type.path("element"), f.getValue(), problems));
            }
            case "ref" -> {
                JsonNode def = types.get(type.path("reference").path("$ref").asText());
                if (def == null) {
                    problems.add(where + ": spec type " + type + " not found");
                    return;
                }
                checkObject(where, def.path("properties"), v, problems);
            }
            case "union" -> {
                for (JsonNode alt : type.path("types")) {
                    List<String> p = new ArrayList<>();
                    checkValue(where, alt, v, p);
                    if (p.isEmpty()) return;
                }
                problems.add(where + ": matches none of " + type.path("types"));
            }
            default -> {
            }
        }
    }

    private void collectGetAtts(JsonNode template, JsonNode res, List<String> problems) {
        List<JsonNode> stack = new ArrayList<>(List.of(template));
        while (!stack.isEmpty()) {
            JsonNode n = stack.remove(stack.size() - 1);
            if (n.isObject() && n.has("Fn::GetAtt")) {
                JsonNode ga = n.get("Fn::GetAtt");
                String id = ga.get(0).asText();
                String attr = ga.get(1).asText();
                JsonNode r = res.get(id);
                if (r == null) problems.add("Fn::GetAtt " + id + "." + attr + ": no resource " + id);
                else {
                    JsonNode spec = resources.get(r.path("Type").asText());
                    if (spec != null && !spec.path("attributes").has(attr)) problems.add("Fn::GetAtt " + id + "." + attr + ": " + r.path("Type").asText() + " has no attribute " + attr);
                }
            }
            if (n.isObject() && n.has("Ref")) {
                String id = n.get("Ref").asText();
                if (!id.startsWith("AWS::") && !res.has(id) && !template.path("Parameters").has(id)) problems.add("Ref " + id + ": no such resource or parameter");
            }
            n.elements().forEachRemaining(stack::add);
        }
    }

    private static boolean isIntrinsic(JsonNode v) {
        if (v == null || !v.isObject() || v.size() != 1) return false;
        String k = v.fieldNames().next();
        return k.equals("Ref") || k.startsWith("Fn::");
    }
}
