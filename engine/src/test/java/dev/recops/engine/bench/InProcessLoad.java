package dev.recops.engine.bench;

import dev.recops.engine.serve.Queries;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load on {@link SearchService} in this JVM, no HTTP: the baseline that the HTTP
 * server's throughput is compared with (scripts/bench/http-vs-inprocess.sh). Prints one RESULT
 * line in the format of scripts/bench/search.lua.
 *
 * <p>Arguments: modelRepo catalog queriesFile clients seconds warmupSeconds workers threads batchMax batchDelayMs
 */
public final class InProcessLoad {
    private InProcessLoad() {}

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        Path catalog = Path.of(args[1]);
        List<String> queries = Files.readAllLines(Path.of(args[2])).stream().filter(l -> !l.isBlank()).toList();
        int clients = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]);
        ServeOptions options = new ServeOptions("127.0.0.1", 0, repo, "search-encoder", "", catalog,
                Optional.of(Files.createTempDirectory("recops-bench")), Integer.parseInt(args[6]), Integer.parseInt(args[7]),
                OptionalInt.of(Integer.parseInt(args[8])), Optional.of(Duration.ofMillis(Long.parseLong(args[9]))), 256,
                Duration.ofSeconds(10));
        try (SearchService service = new SearchService(options, new ServerMetrics(), ServeListener.NONE)) {
            service.load();
            run(service, queries, clients, warmup);
            long[] latencies = run(service, queries, clients, seconds);
            Arrays.sort(latencies);
            System.out.printf(Locale.ROOT, "RESULT requests=%d duration_s=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors=0 non2xx=0%n",
                    latencies.length, seconds, latencies.length / (double) seconds,
                    pct(latencies, 0.50), pct(latencies, 0.90), pct(latencies, 0.99));
        }
    }

    private static long[] run(SearchService service, List<String> queries, int clients, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong next = new AtomicLong();
        List<long[]> perClient = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long[][] slot = {new long[1 << 16]};
            int[] n = {0};
            perClient.add(null);
            int index = c;
            threads.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    String q = queries.get((int) (next.getAndIncrement() % queries.size()));
                    long t0 = System.nanoTime();
                    service.search(new Queries.Search(q, 10, Queries.Filters.NONE, Queries.Target.PRIMARY), t0 + 10_000_000_000L);
                    if (n[0] == slot[0].length) {
                        slot[0] = Arrays.copyOf(slot[0], n[0] * 2);
                    }
                    slot[0][n[0]++] = System.nanoTime() - t0;
                }
                synchronized (perClient) {
                    perClient.set(index, Arrays.copyOf(slot[0], n[0]));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return perClient.stream().flatMapToLong(Arrays::stream).toArray();
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1e6;
    }
}
