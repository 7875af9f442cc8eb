package dev.recops.engine.drill;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A YAML or JSON document read into a tree that remembers the line of every field, so that an
 * invalid experiment is rejected naming the field and its line ({@code method[2].replica}).
 */
record Located(JsonNode root, Map<String, Integer> lines, Path file) {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static Located read(Path file) {
        String name = file.getFileName().toString();
        JsonFactory factory = name.endsWith(".json") ? new JsonFactory() : new YAMLFactory();
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = factory.createParser(utf8(Files.readAllBytes(file), file))) {
            if (p.nextToken() == null) {
                throw new RecopsException.InvalidInput("bad_experiment", file + ": empty file");
            }
            JsonNode root = node(p, "", lines);
            return new Located(root, lines, file);
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "experiment file " + file + " not found");
        } catch (JsonProcessingException e) {
            throw new RecopsException.InvalidInput("bad_experiment", file + ":" + e.getLocation().getLineNr() + ": not valid "
                    + (factory instanceof YAMLFactory ? "YAML" : "JSON") + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("unreadable", "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** The file's text; a file that is not UTF-8 is invalid input (exit 2), not an unreadable file (exit 4). */
    private static String utf8(byte[] bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RecopsException.InvalidInput("bad_experiment", file + ": not UTF-8 text");
        }
    }

    private static JsonNode node(JsonParser p, String path, Map<String, Integer> lines) throws IOException {
        lines.put(path, p.currentTokenLocation().getLineNr());
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    String child = path.isEmpty() ? field : path + "." + field;
                    int line = p.currentTokenLocation().getLineNr();
                    p.nextToken();
                    o.set(field, node(p, child, lines));
                    lines.put(child, line); // the key's line, not the value's (a block value starts below it)
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    a.add(node(p, path + "[" + i++ + "]", lines));
                }
                yield a;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new RecopsException.InvalidInput("bad_experiment", "unexpected " + p.currentToken() + " at " + path);
        };
    }

    /** The line of {@code path}, or of its nearest ancestor that has one. */
    int line(String path) {
        for (String p = path; ; ) {
            Integer l = lines.get(p);
            if (l != null) {
                return l;
            }
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) {
                return lines.getOrDefault("", 1);
            }
            p = p.substring(0, cut);
        }
    }

    RecopsException.InvalidInput invalid(String path, String message) {
        return new RecopsException.InvalidInput("bad_experiment", file + ":" + line(path) + ": " + printable(path) + ": " + printable(message));
    }

    /**
     * The text with control characters escaped, at most 200 characters: field names come from the
     * file and may hold line breaks (a quoted YAML key, found by fuzzing), but an error is one line.
     */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.length() < s.length() ? b + "..." : b.toString();
    }
}
