package dev.recops.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What survives a restart: the primary, the rollback target and the traffic policy, as a small
 * JSON file written atomically (temporary file, then rename) after every change.
 */
record ServingState(String model, String primary, String lastKnownGood, TrafficPolicy policy) {
    static final ServingState NONE = new ServingState("", "", "", TrafficPolicy.NONE);
    private static final Logger LOG = Logger.getLogger(ServingState.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The saved state; empty when there is none, or (with a warning) when it cannot be read. */
    static Optional<ServingState> read(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            JsonNode canary = n.path("canary");
            return Optional.of(new ServingState(n.path("model").asText(""), n.path("primary").asText(""), n.path("last_known_good").asText(""),
                    new TrafficPolicy(canary.path("version").asText(""), canary.path("percent").asInt(0), n.path("shadow").asText(""))));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "ignoring the serving state " + file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** @throws UncheckedIOException when the file cannot be written (the old one is left as it was) */
    void write(Path file) {
        ObjectNode n = JSON.createObjectNode().put("model", model).put("primary", primary).put("last_known_good", lastKnownGood);
        n.putObject("canary").put("version", policy.canaryVersion()).put("percent", policy.canaryPercent());
        n.put("shadow", policy.shadowVersion());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".state", ".tmp");
            Files.writeString(tmp, n.toPrettyString() + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the serving state to " + file + ": " + e.getMessage(), e);
        }
    }
}
