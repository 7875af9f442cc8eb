import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the hardware does with the model alone, the ceiling every serve figure is a share of:
 * one ONNX Runtime session per thread of one intra-op thread (serve's default), as many threads
 * as the JVM has CPUs, each running the WANDS queries (tokenized beforehand: no tokenizing, no
 * HTTP, no JSON) in calls of BATCH texts sorted by length, for SECONDS; texts per second per
 * batch size, rounds alternating (the machine is shared and noisy), and the best.
 *
 * Usage: java -cp 'cli/target/recops/lib/*' scripts/bench/ModelAlone.java MODEL_REPO QUERIES.csv [SECONDS] [ROUNDS] [VERSION] [BATCHES]
 * e.g.   java -cp 'cli/target/recops/lib/*' scripts/bench/ModelAlone.java cli/target/recops/models testdata/wands/queries.csv 10 3 2 1,8,16,32
 */
public class ModelAlone {
    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        List<String> queries = dev.recops.engine.load.QueryFile.read(Path.of(args[1])); // as recops bench reads them
        long nanos = (long) (Double.parseDouble(args.length > 2 ? args[2] : "10") * 1e9);
        int rounds = Integer.parseInt(args.length > 3 ? args[3] : "3");
        String versionName = args.length > 4 ? args[4] : "2";
        List<Integer> batches = List.of(args.length > 5 ? args[5] : "1,8,16,32").stream().flatMap(s -> List.of(s.split(",")).stream())
                .map(Integer::parseInt).toList();
        int cpus = Runtime.getRuntime().availableProcessors();
        ModelVersion version = new ModelRepository(repo).scan().versionsOf("search-encoder").stream()
                .filter(v -> v.version().equals(versionName)).findFirst().orElseThrow();
        List<TextEncoder> sessions = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            sessions.add(TextEncoder.load(version, 1));
        }
        List<TokenizedText> texts = queries.stream().map(sessions.getFirst()::tokenizeOne).toList();
        System.out.printf(Locale.ROOT, "%d CPUs, %d sessions of 1 thread, %d queries (mean %.1f tokens), %s of %s%n", cpus, cpus, texts.size(),
                texts.stream().mapToInt(TokenizedText::length).average().orElse(0), version.id(), repo);
        double best = 0;
        int bestBatch = 0;
        for (int r = 1; r <= rounds; r++) {
            for (int batch : batches) {
                double rate = measure(sessions, texts, batch, nanos);
                System.out.printf(Locale.ROOT, "RESULT round=%d batch=%d texts_per_s=%.1f%n", r, batch, rate);
                if (rate > best) {
                    best = rate;
                    bestBatch = batch;
                }
            }
        }
        System.out.printf(Locale.ROOT, "BEST batch=%d texts_per_s=%.1f%n", bestBatch, best);
        sessions.forEach(TextEncoder::close);
    }

    /** Texts per second of these sessions, one platform thread each, in calls of {@code batch} texts sorted by length (SessionOptions.java uses it too). */
    static double measure(List<TextEncoder> sessions, List<TokenizedText> texts, int batch, long nanos) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < sessions.size(); t++) {
            TextEncoder encoder = sessions.get(t);
            int offset = t * 97;
            threads.add(Thread.ofPlatform().start(() -> {
                int next = offset;
                while (System.nanoTime() - start < nanos) {
                    List<TokenizedText> b = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                        b.add(texts.get(next++ % texts.size()));
                    }
                    b.sort(Comparator.comparingInt(TokenizedText::length));
                    encoder.infer(TokenizedBatch.pad(b));
                    done.addAndGet(batch);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }
}
