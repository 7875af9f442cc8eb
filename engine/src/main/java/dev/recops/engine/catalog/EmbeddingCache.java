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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Product embeddings on disk, one file per model (its files, pooling, prefixes: the model key),
 * each vector keyed by a hash of the exact text embedded. A restart, a reloaded catalog or a live
 * update embeds only texts this model never embedded: an unchanged product is never embedded
 * twice, whatever else changed around it.
 *
 * <p>A file is a header (magic, model key, dimension) and then records (16-byte text key, the
 * vector as little-endian floats), appended as products are embedded; a later record for the
 * same text wins. A torn last record (a crash while appending) is ignored; a file whose header
 * does not match is ignored and rewritten. Files are rewritten through a temporary name, so a
 * crash never leaves a torn header. A cache that cannot be written only costs the next start its
 * speed: failures are logged, never thrown.
 *
 * <p>Thread-safe; writers within one process are serialised.
 */
public final class EmbeddingCache {
    private static final Logger LOG = Logger.getLogger(EmbeddingCache.class.getName());
    private static final int MAGIC = 0x52454D32; // "REM2"
    private static final int KEY_BYTES = 64;
    private static final int HEADER_BYTES = 4 + KEY_BYTES + 4;
    private static final int TEXT_KEY_BYTES = 16;
    private static final Object WRITES = new Object();

    /** The first 128 bits of the SHA-256 of a text: the key of its vector. */
    public record TextKey(long high, long low) {
        public static TextKey of(String text) {
            try {
                ByteBuffer d = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
                return new TextKey(d.getLong(), d.getLong());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }

    /** The vectors of one model file, by text key. */
    public static final class Entries {
        static final Entries NONE = new Entries(Map.of(), new float[0], 0, 0);

        private final Map<TextKey, Integer> index;
        private final float[] vectors;
        private final int dimension;
        private final int records;

        private Entries(Map<TextKey, Integer> index, float[] vectors, int dimension, int records) {
            this.index = index;
            this.vectors = vectors;
            this.dimension = dimension;
            this.records = records;
        }

        public boolean contains(TextKey key) {
            return index.containsKey(key);
        }

        /** Copies the vector of {@code key} into {@code into} at {@code offset}; false when it is not cached. */
        public boolean copy(TextKey key, float[] into, int offset) {
            Integer at = index.get(key);
            if (at == null) {
                return false;
            }
            System.arraycopy(vectors, at * dimension, into, offset, dimension);
            return true;
        }

        /** Records in the file, superseded ones included. */
        int records() {
            return records;
        }
    }

    private final Path dir;
    /** What follows the model's name in this cache's own file: empty, or a shard's {@code .shard-I-of-N}. */
    private final String part;

    /** The cache serve reads: its own file per model and every shard file {@code recops catalog embed} left beside it. */
    public EmbeddingCache(Path dir) {
        this(dir, "");
    }

    private EmbeddingCache(Path dir, String part) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.part = part;
    }

    /**
     * The file one shard of a sharded embedding job writes ({@code index} of {@code count}, from 1):
     * it reads back only its own file (to resume), and a serve cache in the same directory reads
     * every shard's.
     */
    public static EmbeddingCache shard(Path dir, int index, int count) {
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException("shard " + index + " of " + count);
        }
        return count == 1 ? new EmbeddingCache(dir) : new EmbeddingCache(dir, ".shard-" + index + "-of-" + count);
    }

    public Path dir() {
        return dir;
    }

    Path fileFor(String label, String modelKey) {
        return dir.resolve(label + "-" + modelKey.substring(0, 16) + part + ".vec");
    }

    /** This cache's file and, for serve's cache, the shard files beside it: shards first, so this cache's own records win. */
    private List<Path> filesFor(String label, String modelKey) {
        Path own = fileFor(label, modelKey);
        List<Path> files = new ArrayList<>();
        if (part.isEmpty() && Files.isDirectory(dir)) {
            String prefix = label + "-" + modelKey.substring(0, 16) + ".shard-";
            try (var listed = Files.list(dir)) {
                listed.filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(".vec"))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot list embedding cache " + dir + ": " + e.getMessage());
            }
        }
        if (Files.isRegularFile(own)) {
            files.add(own);
        }
        return files;
    }

    /**
     * @param modelKey 64 hex characters identifying the model and how it embeds
     * @return what the files hold, nothing when there is no matching file; a file whose header
     *     does not match is skipped
     */
    Entries load(String label, String modelKey, int dimension) {
        int recordBytes = TEXT_KEY_BYTES + 4 * dimension;
        List<Path> files = new ArrayList<>();
        long total = 0;
        for (Path f : filesFor(label, modelKey)) {
            if (matches(f, modelKey, dimension)) {
                files.add(f);
                total += (f.toFile().length() - HEADER_BYTES) / recordBytes; // a torn last record is left out
            }
        }
        if (files.isEmpty()) {
            return Entries.NONE;
        }
        if (total * dimension > Integer.MAX_VALUE - 8) {
            LOG.log(Level.WARNING, "embedding cache " + dir + " holds more vectors than one array can (" + total + "): ignored");
            return Entries.NONE;
        }
        Map<TextKey, Integer> index = HashMap.newHashMap((int) total);
        float[] vectors = new float[(int) (total * dimension)];
        int records = 0;
        ByteBuffer buf = ByteBuffer.allocate(recordBytes * Math.max(1, (1 << 20) / recordBytes));
        for (Path file : files) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long end = HEADER_BYTES + (ch.size() - HEADER_BYTES) / recordBytes * recordBytes;
                long at = HEADER_BYTES;
                while (at < end) {
                    buf.clear().limit((int) Math.min(buf.capacity(), end - at));
                    while (buf.hasRemaining()) {
                        if (ch.read(buf, at + buf.position()) < 0) {
                            throw new IOException("file shrank while read");
                        }
                    }
                    buf.flip();
                    at += buf.limit();
                    for (int r = 0; r < buf.limit() / recordBytes; r++) {
                        int o = r * recordBytes;
                        TextKey key = new TextKey(buf.order(ByteOrder.BIG_ENDIAN).getLong(o), buf.getLong(o + 8));
                        buf.order(ByteOrder.LITTLE_ENDIAN).position(o + TEXT_KEY_BYTES);
                        buf.asFloatBuffer().limit(dimension).get(vectors, records * dimension, dimension);
                        index.put(key, records++); // a later record for the same text wins
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "ignoring the rest of unreadable embedding cache " + file + ": " + e.getMessage());
            }
        }
        return new Entries(index, vectors, dimension, records);
    }

    /**
     * Adds vectors to the model's file, creating it when it is missing or does not match.
     *
     * @return false when it could not be written (logged)
     * @param vectors row-major, one row per key
     */
    boolean append(String label, String modelKey, int dimension, List<TextKey> keys, float[] vectors) {
        if (keys.isEmpty()) {
            return true;
        }
        Path file = fileFor(label, modelKey);
        synchronized (WRITES) {
            if (!matches(file, modelKey, dimension)) {
                return rewrite(label, modelKey, dimension, keys, vectors);
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer buf = records(keys, vectors, dimension);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                return true;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot append to embedding cache " + file + " (these products are embedded again at the next start): "
                        + e.getMessage());
                return false;
            }
        }
    }

    /** Replaces the model's file with exactly these vectors (dropping superseded records). */
    boolean rewrite(String label, String modelKey, int dimension, List<TextKey> keys, float[] vectors) {
        Path file = fileFor(label, modelKey);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        synchronized (WRITES) {
            try {
                Files.createDirectories(dir);
                ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                header.putInt(MAGIC).put(modelKey.getBytes(StandardCharsets.US_ASCII)).putInt(dimension).flip();
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
                    ByteBuffer body = records(keys, vectors, dimension);
                    while (header.hasRemaining()) {
                        ch.write(header);
                    }
                    while (body.hasRemaining()) {
                        ch.write(body);
                    }
                    ch.force(true);
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                return true;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot write embedding cache " + file + " (next start re-embeds): " + e.getMessage());
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray temporary file is harmless
                }
                return false;
            }
        }
    }

    private static boolean matches(Path file, String modelKey, int dimension) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && ch.read(header) > 0) {
                // read the whole header
            }
            if (header.hasRemaining()) {
                return false;
            }
            header.flip();
            byte[] keyBytes = new byte[KEY_BYTES];
            if (header.getInt() != MAGIC) {
                return false;
            }
            header.get(keyBytes);
            return modelKey.equals(new String(keyBytes, StandardCharsets.US_ASCII)) && header.getInt() == dimension;
        } catch (IOException e) {
            return false;
        }
    }

    private static ByteBuffer records(List<TextKey> keys, float[] vectors, int dimension) {
        if (vectors.length != keys.size() * dimension) {
            throw new IllegalArgumentException(keys.size() + " keys but " + vectors.length / Math.max(1, dimension) + " vectors");
        }
        ByteBuffer buf = ByteBuffer.allocate(keys.size() * (TEXT_KEY_BYTES + 4 * dimension));
        for (int r = 0; r < keys.size(); r++) {
            buf.order(ByteOrder.BIG_ENDIAN).putLong(keys.get(r).high()).putLong(keys.get(r).low());
            buf.order(ByteOrder.LITTLE_ENDIAN);
            for (int d = 0; d < dimension; d++) {
                buf.putFloat(vectors[r * dimension + d]);
            }
        }
        return buf.flip();
    }
}
