package io.polyarch.pipeline.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers where each value was written, so that errors can say
 * {@code polyarch.yaml:12:5: destination.ecr.tagRules[1]: ...}. Jackson's tree model drops locations.
 */
sealed interface Node {
    Where where();

    record Where(String file, int line, int column, String path) {
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + (path.isEmpty() ? "(document)" : path);
        }

        Where child(String key, int line, int column) {
            return new Where(file, line, column, path.isEmpty() ? key : path + "." + key);
        }

        Where index(int i, int line, int column) {
            return new Where(file, line, column, path + "[" + i + "]");
        }
    }

    /** {@code keys} holds where each key was written, for "unknown key" errors. */
    record MapNode(Where where, Map<String, Node> entries, Map<String, Where> keys) implements Node {
        MapNode(Where where, Map<String, Node> entries) {
            this(where, entries, Map.of());
        }

        Where keyWhere(String key) {
            Where w = keys.get(key);
            return w != null ? w : entries.get(key).where();
        }
    }

    record ListNode(Where where, List<Node> items) implements Node {
    }

    /** A scalar: {@code text} is what was written, {@code quoted} whether it was a YAML string. */
    record Scalar(Where where, String text, boolean string, boolean isNull) implements Node {
    }

    static Node parse(String file, String yaml) throws ConfigException {
        YAMLFactory f = new YAMLFactory();
        try (JsonParser p = f.createParser(yaml)) {
            JsonToken t = p.nextToken();
            Where root = new Where(file, 1, 1, "");
            if (t == null) return new MapNode(root, Map.of());
            Node n = read(p, root);
            if (p.nextToken() != null) throw new ConfigException(file + ": more than one YAML document; polyarch reads one");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String msg = e.getOriginalMessage().lines().findFirst().orElse("invalid YAML");
            throw new ConfigException(file + (loc != null ? ":" + loc.getLineNr() + ":" + loc.getColumnNr() : "") + ": invalid YAML: " + msg);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static Node read(JsonParser p, Where at) throws IOException, ConfigException {
        JsonLocation loc = p.currentTokenLocation();
        Where here = new Where(at.file(), loc.getLineNr(), loc.getColumnNr(), at.path());
        JsonToken t = p.currentToken();
        if (p instanceof com.fasterxml.jackson.dataformat.yaml.YAMLParser y && y.isCurrentAlias()) {
            // the parser gives an alias as its anchor's name, which would silently become the value (a tag 's')
            throw new ConfigException(here + ": YAML alias '*" + p.getText() + "': aliases are not supported in a polyarch config; write the value out");
        }
        switch (t) {
            case START_OBJECT -> {
                Map<String, Node> m = new LinkedHashMap<>();
                Map<String, Where> keys = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    JsonLocation kl = p.currentTokenLocation();
                    Where kw = here.child(key, kl.getLineNr(), kl.getColumnNr());
                    if (m.containsKey(key)) throw new ConfigException(kw + ": key '" + key + "' appears twice");
                    p.nextToken();
                    keys.put(key, kw);
                    m.put(key, read(p, kw));
                }
                return new MapNode(here, Collections.unmodifiableMap(m), Collections.unmodifiableMap(keys));
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    JsonLocation il = p.currentTokenLocation();
                    items.add(read(p, here.index(i++, il.getLineNr(), il.getColumnNr())));
                }
                return new ListNode(here, List.copyOf(items));
            }
            case VALUE_NULL -> {
                return new Scalar(here, null, false, true);
            }
            case VALUE_STRING -> {
                return new Scalar(here, p.getText(), true, false);
            }
            default -> {
                return new Scalar(here, p.getText(), false, false);
            }
        }
    }
}
