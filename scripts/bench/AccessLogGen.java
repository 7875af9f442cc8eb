// Synthetic access logs in serve's format (one JSON object per line) with an injected incident,
// for measuring `recops review` and for trying it out. A JDK 25 runs it from source:
//   java scripts/bench/AccessLogGen.java LINES [latency|errors] > access.jsonl
// 200 requests/s from 2026-11-22T10:00:00Z, half on each version of search-encoder, one in ten
// on /v1/recommend. The incident starts at 40% of the period: "latency" adds 80 ms to version 2;
// "errors" makes a third of /v1/recommend answer 500. The deploy that "caused" it, 20 s before,
// goes to stderr as one events line ({"ts":...,"event":...}) for review --events.
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.SplittableRandom;

public class AccessLogGen {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java AccessLogGen.java LINES [latency|errors] [SEED]");
            System.exit(2);
        }
        long lines = Long.parseLong(args[0]);
        String incident = args.length > 1 ? args[1] : "latency";
        Instant start = Instant.parse("2026-11-22T10:00:00Z");
        long onsetMs = lines * 5 * 2 / 5; // 200/s: 5 ms apart; the incident from 40% of the period
        System.err.printf(Locale.ROOT, "{\"ts\":\"%s\",\"event\":\"deploy %s\"}%n", start.plusMillis(onsetMs - 20_000),
                incident.equals("errors") ? "recommend-index 7" : "search-encoder 2");
        SplittableRandom r = new SplittableRandom(args.length > 2 ? Long.parseLong(args[2]) : 20261122);
        StringBuilder line = new StringBuilder(300);
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)) {
            for (long i = 0; i < lines; i++) {
                long ms = i * 5;
                boolean recommend = i % 10 == 0;
                String version = i % 2 == 0 ? "1" : "2";
                boolean during = ms >= onsetMs;
                int tokens = 1 + r.nextInt(9);
                double latency = 3 + r.nextDouble() * 8 + tokens * 0.4 + (r.nextInt(100) == 0 ? r.nextDouble() * 40 : 0);
                int status = r.nextInt(5000) == 0 ? 503 : 200;
                if (during && incident.equals("latency") && version.equals("2")) {
                    latency += 80;
                }
                if (during && incident.equals("errors") && recommend && r.nextInt(3) == 0) {
                    status = 500;
                }
                line.setLength(0);
                line.append("{\"ts\":\"").append(start.plusMillis(ms)).append("\",\"request_id\":\"r").append(i)
                        .append("\",\"endpoint\":\"").append(recommend ? "/v1/recommend" : "/v1/search")
                        .append("\",\"model\":\"").append(recommend ? "recommend-index" : "search-encoder")
                        .append("\",\"version\":\"").append(version).append("\",\"status\":").append(status)
                        .append(",\"latency_ms\":").append(String.format(Locale.ROOT, "%.3f", latency))
                        .append(",\"queue_ms\":0.2,\"inference_ms\":").append(String.format(Locale.ROOT, "%.3f", latency * 0.7))
                        .append(",\"batch_size\":").append(1 + r.nextInt(8)).append(",\"k\":").append(recommend ? 20 : 10)
                        .append(",\"query_tokens\":").append(recommend ? 0 : tokens).append(",\"results\":10,\"degraded\":false}\n");
                w.append(line);
            }
        }
    }
}
