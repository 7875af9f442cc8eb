package dev.recops.engine.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One JSON line per admin call: {@code ts}, {@code token_id} (empty when unauthenticated),
 * {@code remote}, {@code method}, {@code path}, {@code action}, {@code status}, {@code outcome}
 * ({@code ok}, {@code denied}, {@code rejected}, {@code failed}) and {@code detail}. Written
 * synchronously and flushed (admin calls are rare and each must be on record); to a file, or to
 * the server log when there is none. Never holds a token. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One admin call. */
    public record Entry(String tokenId, String remote, String method, String path, String action, int status, String outcome, String detail) {}

    private final Optional<Writer> out;

    private AuditLog(Optional<Writer> out) {
        this.out = out;
    }

    /** Appends to {@code file}, or writes to the server log when empty. */
    public static AuditLog open(Optional<Path> file) {
        if (file.isEmpty()) {
            return new AuditLog(Optional.empty());
        }
        try {
            if (file.get().getParent() != null) {
                Files.createDirectories(file.get().getParent());
            }
            return new AuditLog(Optional.of(Files.newBufferedWriter(file.get(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND)));
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("audit_log_unwritable", "cannot write the audit log " + file.get() + ": " + e.getMessage());
        }
    }

    public synchronized void record(Entry e) {
        ObjectNode line = JSON.createObjectNode()
                .put("ts", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString())
                .put("token_id", e.tokenId()).put("remote", e.remote()).put("method", e.method()).put("path", e.path())
                .put("action", e.action()).put("status", e.status()).put("outcome", e.outcome()).put("detail", e.detail());
        if (out.isEmpty()) {
            LOG.info("audit " + line);
            return;
        }
        try {
            out.get().write(line + "\n");
            out.get().flush();
        } catch (IOException ex) {
            LOG.log(Level.SEVERE, "cannot write the audit log; the entry was: " + line, ex);
        }
    }

    @Override
    public synchronized void close() {
        if (out.isPresent()) {
            try {
                out.get().close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot close the audit log", e);
            }
        }
    }
}
