package dev.recops.engine.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Live catalog updates on disk, so a restart serves what the last update left: the catalog file's
 * successor. A directory holds
 * <ul>
 *   <li>{@code CURRENT}: which catalog file the updates apply to (its SHA-256) and the generation;
 *   <li>{@code catalog-N.jsonl}: the compacted catalog of generation N (for N = 0, the catalog
 *       file itself);
 *   <li>{@code journal-N.jsonl}: the changes since, one JSON line each, written and synced before
 *       the change is served.
 * </ul>
 * When the journal holds more products than a quarter of the catalog (at least 1,000), the
 * catalog served is written as generation N+1 and {@code CURRENT} moved to it in one rename, so a
 * crash at any point leaves a complete generation. A torn last journal line (a crash while
 * writing) is dropped; a corrupt line before it stops the start rather than lose updates.
 *
 * <p>When the catalog file itself changes (a whole-catalog reload, or a new file at start), it
 * wins: the updates journaled for the old file are moved into {@code superseded-<time>/}.
 *
 * <p>One process owns a directory (a file lock). Thread-safe.
 */
public final class CatalogJournal implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CatalogJournal.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CURRENT = "CURRENT";

    /** One change, as journaled. */
    public sealed interface Change {
        /** Products added or replaced, whole. */
        record Upsert(List<Product> products) implements Change {
            public Upsert {
                products = List.copyOf(products);
            }
        }

        /** Products removed, by id. */
        record Delete(List<String> productIds) implements Change {
            public Delete {
                productIds = List.copyOf(productIds);
            }
        }
    }

    /** Where the journal is and how much it holds since the last compaction. */
    public record Status(Path dir, String originSha256, int generation, long changes, long products) {}

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private String origin = "";
    private int generation;
    private FileChannel journal;
    private long changes;
    private long products;

    private CatalogJournal(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Opens (creating) a journal directory and takes its lock.
     *
     * @throws RecopsException.PreconditionFailed when another process holds it, or it cannot be created
     */
    public static CatalogJournal open(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new RecopsException.PreconditionFailed("journal_locked",
                        "the catalog journal " + dir + " is used by another recops serve; give each server its own --catalog-journal");
            }
            return new CatalogJournal(dir, ch, lock);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot use the catalog journal " + dir + ": " + e.getMessage());
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * The catalog to serve for {@code file}: its last compaction plus the journal, when they were
     * made from this file's content; otherwise the file itself, and the old updates are set aside.
     *
     * @throws RecopsException.PreconditionFailed when the journal is corrupt before its last line
     */
    public synchronized Catalog recover(Catalog file) {
        closeJournal();
        Path current = dir.resolve(CURRENT);
        JsonNode head = readCurrent(current);
        if (head == null || !file.contentHash().equals(head.path("origin_sha256").asText())) {
            if (head != null) {
                setAside();
            }
            origin = file.contentHash();
            generation = 0;
            startGeneration(0);
            writeCurrent();
            return file;
        }
        origin = file.contentHash();
        generation = head.path("generation").asInt();
        Catalog base = generation == 0 ? file : CatalogLoader.load(dir.resolve("catalog-" + generation + ".jsonl"));
        Catalog served = replay(base, dir.resolve("journal-" + generation + ".jsonl"));
        openJournal(dir.resolve("journal-" + generation + ".jsonl"));
        return served;
    }

    /**
     * Writes one change and syncs it to disk; call before serving it.
     *
     * @throws RecopsException.Failure when it cannot be written (then do not serve it)
     */
    public synchronized void append(Change change) {
        if (journal == null) {
            throw new IllegalStateException("recover first");
        }
        ObjectNode line = JSON.createObjectNode();
        switch (change) {
            case Change.Upsert u -> {
                line.put("op", "upsert");
                u.products().forEach(p -> line.withArray("products").add(CatalogLoader.toJson(p)));
                products += u.products().size();
            }
            case Change.Delete d -> {
                line.put("op", "delete");
                d.productIds().forEach(line.withArray("product_ids")::add);
                products += d.productIds().size();
            }
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                journal.write(buf);
            }
            journal.force(false);
            changes++;
        } catch (IOException e) {
            throw new RecopsException.Failure("journal_write_failed", "cannot write the catalog journal " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Compacts when the journal holds more products than a quarter of {@code served} (at least
     * 1,000): writes {@code served} as the next generation and starts an empty journal.
     *
     * @return whether it compacted
     */
    public synchronized boolean compactIfDue(Catalog served) {
        if (journal == null || products <= Math.max(1_000, served.size() / 4)) {
            return false;
        }
        int next = generation + 1;
        try {
            StringBuilder text = new StringBuilder(served.size() * 200);
            for (Product p : served.products()) {
                text.append(CatalogLoader.toJson(p)).append('\n');
            }
            writeAtomically(dir.resolve("catalog-" + next + ".jsonl"), text.toString());
            writeAtomically(dir.resolve("journal-" + next + ".jsonl"), "");
        } catch (IOException e) {
            LOG.warning("cannot compact the catalog journal " + dir + " (it keeps growing): " + e.getMessage());
            return false;
        }
        int was = generation;
        generation = next;
        try {
            writeCurrent();
        } catch (RecopsException e) {
            LOG.warning("cannot compact the catalog journal (it keeps growing): " + e.getMessage());
            generation = was;
            return false;
        }
        changes = 0;
        products = 0;
        closeJournal();
        openJournal(dir.resolve("journal-" + next + ".jsonl"));
        try {
            Files.deleteIfExists(dir.resolve("journal-" + was + ".jsonl"));
            Files.deleteIfExists(dir.resolve("catalog-" + was + ".jsonl"));
        } catch (IOException e) {
            LOG.warning("cannot remove the old generation in " + dir + ": " + e.getMessage());
        }
        return true;
    }

    public synchronized Status status() {
        return new Status(dir, origin, generation, changes, products);
    }

    private Catalog replay(Catalog base, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new RecopsException.PreconditionFailed("journal_corrupt", "the catalog journal " + file + " is missing; move "
                    + dir + " away to serve the catalog file without its updates");
        }
        Map<String, Product> latest = new LinkedHashMap<>(); // a null value: deleted
        changes = 0;
        products = 0;
        try {
            byte[] bytes = Files.readAllBytes(file);
            int at = 0;
            int lineNo = 0;
            while (at < bytes.length) {
                int end = at;
                while (end < bytes.length && bytes[end] != '\n') {
                    end++;
                }
                lineNo++;
                boolean last = end >= bytes.length - 1;
                String line = new String(bytes, at, end - at, StandardCharsets.UTF_8);
                try {
                    if (end == bytes.length) {
                        throw new IOException("no end of line");
                    }
                    apply(JSON.readTree(line), latest);
                    changes++;
                } catch (IOException | IllegalArgumentException | NullPointerException e) {
                    if (!last) {
                        throw new RecopsException.PreconditionFailed("journal_corrupt", "the catalog journal " + file + " line " + lineNo
                                + " is corrupt (" + e.getMessage() + "); move " + dir + " away to serve the catalog file without its updates");
                    }
                    LOG.warning("dropping the torn last line " + lineNo + " of " + file + " (a write the server did not finish)");
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.truncate(at);
                        ch.force(true);
                    }
                    break;
                }
                at = end + 1;
            }
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot read the catalog journal " + file + ": " + e.getMessage());
        }
        List<Product> upserts = new ArrayList<>();
        List<String> deletes = new ArrayList<>();
        latest.forEach((id, p) -> {
            if (p == null) {
                deletes.add(id);
            } else {
                upserts.add(p);
            }
        });
        return latest.isEmpty() ? base : base.withProducts(upserts, deletes);
    }

    private void apply(JsonNode line, Map<String, Product> latest) throws IOException {
        switch (line.path("op").asText()) {
            case "upsert" -> {
                for (JsonNode p : line.path("products")) {
                    CatalogLoader.Parsed parsed = CatalogLoader.parseJsonLines(p.toString());
                    if (parsed.products().size() != 1) {
                        throw new IOException("a product that does not load: " + parsed.rejected());
                    }
                    Product product = parsed.products().getFirst();
                    latest.remove(product.productId()); // keep the order of the last change
                    latest.put(product.productId(), product);
                    products++;
                }
            }
            case "delete" -> {
                for (JsonNode id : line.path("product_ids")) {
                    latest.put(Objects.requireNonNull(id.textValue(), "product id"), null);
                    products++;
                }
            }
            default -> throw new IOException("unknown op \"" + line.path("op").asText() + "\"");
        }
    }

    private JsonNode readCurrent(Path current) {
        if (!Files.isRegularFile(current)) {
            return null;
        }
        try {
            return JSON.readTree(current.toFile());
        } catch (IOException e) {
            LOG.warning("ignoring unreadable " + current + ": " + e.getMessage());
            return null;
        }
    }

    private void writeCurrent() {
        try {
            writeAtomically(dir.resolve(CURRENT), JSON.createObjectNode().put("origin_sha256", origin).put("generation", generation) + "\n");
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot write " + dir.resolve(CURRENT) + ": " + e.getMessage());
        }
    }

    private void startGeneration(int g) {
        try {
            writeAtomically(dir.resolve("journal-" + g + ".jsonl"), "");
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot write the catalog journal in " + dir + ": " + e.getMessage());
        }
        changes = 0;
        products = 0;
        openJournal(dir.resolve("journal-" + g + ".jsonl"));
    }

    /** Moves the files of updates to another catalog file out of the way, where an operator can still read them. */
    private void setAside() {
        Path aside = dir.resolve("superseded-" + Instant.now().toString().replace(':', '-'));
        try (var files = Files.list(dir)) {
            List<Path> old = files.filter(f -> {
                String n = f.getFileName().toString();
                return n.equals(CURRENT) || n.startsWith("catalog-") || n.startsWith("journal-");
            }).toList();
            Files.createDirectories(aside);
            for (Path f : old) {
                Files.move(f, aside.resolve(f.getFileName()));
            }
            LOG.warning("the catalog file changed since its live updates were journaled: it is served as it is, and the old updates "
                    + "were moved to " + aside);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot set the old catalog journal aside in " + dir + ": "
                    + e.getMessage());
        }
    }

    private void openJournal(Path file) {
        try {
            journal = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("journal_unusable", "cannot open the catalog journal " + file + ": " + e.getMessage());
        }
    }

    private void closeJournal() {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                LOG.fine("closing the journal: " + e.getMessage());
            }
            journal = null;
        }
    }

    private void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a power loss
        } catch (IOException e) {
            LOG.fine("cannot sync directory " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        closeJournal();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.fine("releasing the journal lock: " + e.getMessage());
        }
    }
}
