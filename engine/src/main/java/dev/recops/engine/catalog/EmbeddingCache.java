package dev.recops.engine.catalog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Catalog embeddings on disk, one file per (catalog content, model version), so a restart does
 * not re-embed. A file holds a header (magic, key, count, dimension) and the vectors as
 * little-endian floats. Files are written to a temporary name and moved into place, so a crash
 * never leaves a torn file under the real name; a file whose header does not match is ignored
 * and rewritten. A cache that cannot be written only costs the next start its speed: failures
 * are logged, never thrown.
 *
 * <p>Thread-safe for distinct keys.
 */
public final class EmbeddingCache {
    private static final Logger LOG = Logger.getLogger(EmbeddingCache.class.getName());
    private static final int MAGIC = 0x52454D42; // "REMB"
    private static final int KEY_BYTES = 64;
    private static final int HEADER_BYTES = 4 + KEY_BYTES + 4 + 4;

    private final Path dir;

    public EmbeddingCache(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    public Path dir() {
        return dir;
    }

    Path fileFor(String label, String key) {
        return dir.resolve(label + "-" + key.substring(0, 16) + ".vec");
    }

    /**
     * @param key 64 hex characters identifying catalog content and model version
     * @return the vectors, row-major {@code [count][dimension]}, if a matching file exists
     */
    Optional<float[]> load(String label, String key, int count, int dimension) {
        Path file = fileFor(label, key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long expected = HEADER_BYTES + 4L * count * dimension;
            if (ch.size() != expected) {
                return Optional.empty();
            }
            ByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, expected).order(ByteOrder.LITTLE_ENDIAN);
            byte[] keyBytes = new byte[KEY_BYTES];
            if (buf.getInt() != MAGIC) {
                return Optional.empty();
            }
            buf.get(keyBytes);
            if (!key.equals(new String(keyBytes, StandardCharsets.US_ASCII)) || buf.getInt() != count || buf.getInt() != dimension) {
                return Optional.empty();
            }
            float[] vectors = new float[count * dimension];
            buf.asFloatBuffer().get(vectors);
            return Optional.of(vectors);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "ignoring unreadable embedding cache " + file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    void store(String label, String key, float[] vectors, int count, int dimension) {
        Path file = fileFor(label, key);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(dir);
            ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + 4 * vectors.length).order(ByteOrder.LITTLE_ENDIAN);
            buf.putInt(MAGIC).put(key.getBytes(StandardCharsets.US_ASCII)).putInt(count).putInt(dimension);
            buf.asFloatBuffer().put(vectors);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ch.write(buf.rewind());
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write embedding cache " + file + " (next start re-embeds): " + e.getMessage());
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: a stray temporary file is harmless
            }
        }
    }
}
