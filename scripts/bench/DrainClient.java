import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The JDK's HttpClient as an independent keep-alive client for the drain benchmark: CLIENTS
 * threads send searches back to back for SECONDS (never retrying), then print one line with the
 * answers by status and the failures by exception, "refused" counted apart.
 *
 *   java scripts/bench/DrainClient.java URL CLIENTS SECONDS
 */
public class DrainClient {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        int clients = Integer.parseInt(args[1]);
        long until = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            threads[c] = Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < until) {
                    HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/v1/search")).timeout(Duration.ofSeconds(10))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"sofa\", \"k\": 5}")).build();
                    String outcome;
                    try {
                        outcome = "status_" + http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (ConnectException e) {
                        outcome = "refused";
                    } catch (IOException e) {
                        outcome = "failed: " + e;
                    } catch (InterruptedException e) {
                        return;
                    }
                    outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                    if (outcome.equals("refused")) {
                        try {
                            Thread.sleep(5); // the server is gone: do not spin
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        Map<String, Long> sorted = new TreeMap<>();
        outcomes.forEach((k, v) -> sorted.put(k, v.sum()));
        System.out.println(sorted);
    }
}
