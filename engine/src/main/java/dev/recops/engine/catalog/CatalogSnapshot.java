package dev.recops.engine.catalog;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A parsed catalog on disk, so that a restart reads products instead of parsing the file again
 * (10^6 products: 2-3 s of parsing on two cores). It is used only when it was made from content
 * with the same SHA-256 as the file has now, by this format; anything else is parsed again. Its
 * products are stored in chunks decoded on every core. A snapshot that cannot be written only
 * costs the next start its speed: failures are logged, never thrown.
 */
final class CatalogSnapshot {
    private static final Logger LOG = Logger.getLogger(CatalogSnapshot.class.getName());
    private static final int MAGIC = 0x52435331; // "RCS1"
    /** Bump when CatalogLoader reads a file into other products than before. */
    private static final int FORMAT = 1;
    private static final int CHUNK = 4_096; // about 0.7 MB a chunk: under half a G1 region, so never a humongous allocation

    private CatalogSnapshot() {}

    /** Where the snapshot of {@code catalogFile} lives in {@code dir}. */
    static Path fileFor(Path dir, Path catalogFile) {
        return dir.resolve(Catalog.fileKey(catalogFile) + ".catalog");
    }

    /** The catalog the snapshot holds, when it was made from content with {@code contentHash}; empty otherwise. */
    static Optional<Catalog> read(Path snapshot, Path catalogFile, String contentHash) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(snapshot), 1 << 16))) {
            if (in.readInt() != MAGIC || in.readInt() != FORMAT || !in.readUTF().equals(contentHash)) {
                return Optional.empty();
            }
            int products = in.readInt();
            List<Catalog.RejectedRow> rejected = new ArrayList<>();
            for (int i = in.readInt(); i > 0; i--) {
                rejected.add(new Catalog.RejectedRow(in.readInt(), in.readUTF()));
            }
            Map<String, String> shared = new ConcurrentHashMap<>();
            List<Future<List<Product>>> chunks = new ArrayList<>();
            try (var decoders = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int read = 0; read < products; ) {
                    int count = in.readInt();
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    chunks.add(decoders.submit(() -> decode(ByteBuffer.wrap(bytes), count, shared)));
                    read += count;
                }
                List<Product> all = new ArrayList<>(products);
                for (Future<List<Product>> f : chunks) {
                    all.addAll(f.get());
                }
                return Optional.of(new Catalog(catalogFile, contentHash, all, rejected));
            }
        } catch (IOException | RuntimeException | ExecutionException e) {
            LOG.log(Level.WARNING, "ignoring catalog snapshot " + snapshot + " (the file is parsed instead): " + e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Writes the snapshot of {@code catalog} through a temporary file and one rename. */
    static void write(Path snapshot, Catalog catalog) {
        Path tmp = snapshot.resolveSibling(snapshot.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(snapshot.getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
                out.writeInt(MAGIC);
                out.writeInt(FORMAT);
                out.writeUTF(catalog.contentHash());
                out.writeInt(catalog.size());
                out.writeInt(catalog.rejectedRows().size());
                for (Catalog.RejectedRow r : catalog.rejectedRows()) {
                    out.writeInt(r.line());
                    out.writeUTF(r.reason().length() > 10_000 ? r.reason().substring(0, 10_000) : r.reason());
                }
                List<Product> products = catalog.products();
                for (int from = 0; from < products.size(); from += CHUNK) {
                    List<Product> chunk = products.subList(from, Math.min(products.size(), from + CHUNK));
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream(chunk.size() * 256);
                    DataOutputStream c = new DataOutputStream(bytes);
                    for (Product p : chunk) {
                        string(c, p.productId());
                        string(c, p.title());
                        string(c, p.brand());
                        string(c, p.color());
                        c.writeInt(p.attributes().size());
                        for (Map.Entry<String, String> a : p.attributes().entrySet()) {
                            string(c, a.getKey());
                            string(c, a.getValue());
                        }
                        c.writeDouble(p.price());
                        c.writeBoolean(p.inStock());
                    }
                    out.writeInt(chunk.size());
                    out.writeInt(bytes.size());
                    bytes.writeTo(out);
                }
            }
            try {
                Files.move(tmp, snapshot, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, snapshot, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot write catalog snapshot " + snapshot + " (the next start parses the file): " + e);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temporary file is harmless
            }
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static List<Product> decode(ByteBuffer in, int count, Map<String, String> shared) {
        List<Product> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String id = string(in);
            String title = string(in);
            String brand = share(shared, string(in));
            String color = share(shared, string(in));
            int attributes = in.getInt();
            Map<String, String> a = HashMap.newHashMap(attributes);
            for (int j = 0; j < attributes; j++) {
                a.put(share(shared, string(in)), share(shared, string(in)));
            }
            out.add(new Product(id, title, brand, color, a, in.getDouble(), in.get() != 0));
        }
        return out;
    }

    private static String string(ByteBuffer in) {
        int n = in.getInt();
        String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private static String share(Map<String, String> shared, String s) {
        return s.length() > 64 ? s : shared.computeIfAbsent(s, k -> k);
    }
}
