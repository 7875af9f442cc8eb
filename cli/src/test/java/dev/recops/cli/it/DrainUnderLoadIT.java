package dev.recops.cli.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SIGTERM under steady load from keep-alive clients that know nothing of readiness: every request
 * a client wrote is answered 200; the only failures allowed are connections refused after the
 * listener closed. Clients keep their connections alive, so a request written on a connection the
 * server then closes would show up as an EOF or a reset.
 */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // server starts and load, with room for a busy runner
class DrainUnderLoadIT {
    private static final String[] QUERIES = {"sofa", "desk lamp", "gaming chair", "rug", "coffee table", "bookshelf"};

    @TempDir
    Path home;

    @Test
    void jdkKeepAliveClientsLoseNoRequestWhenSigtermArrivesUnderLoad() throws Exception {
        try (LaunchedServer server = LaunchedServer.start(home, "--drain-delay", "1s", "--drain-timeout", "10s")) {
            server.awaitReady(Duration.ofSeconds(120));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            AtomicBoolean stop = new AtomicBoolean(false);
            AtomicInteger okAfterSignal = new AtomicInteger();
            AtomicBoolean signalled = new AtomicBoolean(false);
            CountDownLatch warm = new CountDownLatch(8 * 20);
            AtomicInteger refused = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int id = c;
                clients.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get() && i < 200_000; i++) {
                        HttpRequest request = HttpRequest.newBuilder(URI.create(server.base() + "/v1/search"))
                                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(15))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"" + QUERIES[(id + i) % QUERIES.length] + "\"}"))
                                .build();
                        try {
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                failures.add("status " + r.statusCode() + ": " + r.body());
                            } else if (signalled.get()) {
                                okAfterSignal.incrementAndGet();
                            }
                            warm.countDown();
                        } catch (ConnectException e) {
                            refused.incrementAndGet(); // the listener has closed: never accepted
                        } catch (IOException e) {
                            failures.add("I/O: " + e);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
            assertThat(warm.await(60, TimeUnit.SECONDS)).as("steady load before the signal").isTrue();
            signalled.set(true);
            server.process.destroy(); // SIGTERM
            assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
            stop.set(true);
            for (Thread t : clients) {
                t.join(20_000);
            }

            assertThat(failures).as("requests written and not answered").isEmpty();
            assertThat(okAfterSignal.get()).as("requests served while draining").isPositive();
            assertThat(server.process.exitValue()).isZero();
            assertThat(Files.readString(server.stderr)).contains("draining").contains("stopped");
        }
    }

    /** The same with Go's HTTP client (hey, a Debian package that CI installs): 8 keep-alive workers. */
    @Test
    void heyKeepAliveClientsLoseNoRequestWhenSigtermArrivesUnderLoad() throws Exception {
        assumeTrue(onPath("hey"), "hey is not installed (scripts/test installs it)");
        try (LaunchedServer server = LaunchedServer.start(home, "--drain-delay", "1s", "--drain-timeout", "10s")) {
            server.awaitReady(Duration.ofSeconds(120));
            Path out = home.resolve("hey.out");
            Process hey = new ProcessBuilder("hey", "-c", "8", "-z", "10s", "-m", "POST", "-T", "application/json",
                    "-d", "{\"query\": \"gaming chair\", \"k\": 5}", server.base() + "/v1/search")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                awaitServed(server, 200);
                server.process.destroy(); // SIGTERM
                assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
                assertThat(hey.waitFor(60, TimeUnit.SECONDS)).as("hey ends after its 10 s").isTrue();
            } finally {
                hey.destroyForcibly();
            }
            Map<String, Long> errors = heyErrors(Files.readString(out));
            errors.keySet().removeIf(e -> e.contains("connection refused"));
            assertThat(errors).as("hey's errors other than refused connections").isEmpty();
            assertThat(Files.readString(out)).contains("[200]");
            assertThat(server.process.exitValue()).isZero();
        }
    }

    /** Waits until the server has answered this many searches, from its own metrics. */
    private static void awaitServed(LaunchedServer server, int searches) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Pattern counted = Pattern.compile("(?m)^recops_requests_total\\{code=\"200\",endpoint=\"search\"[^}]*} (\\S+)$");
        for (int i = 0; i < 600; i++) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create(server.base() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = counted.matcher(metrics);
            double served = 0;
            while (m.find()) {
                served += Double.parseDouble(m.group(1));
            }
            if (served >= searches) {
                return;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000); // polls the counter; paces nothing
        }
        throw new AssertionError("the server answered fewer than " + searches + " searches in 60 s");
    }

    /** hey's "Error distribution" section: message to count. */
    static Map<String, Long> heyErrors(String report) {
        Map<String, Long> errors = new TreeMap<>();
        int at = report.indexOf("Error distribution:");
        if (at < 0) {
            return errors;
        }
        Matcher m = Pattern.compile("(?m)^\\s*\\[(\\d+)]\\s+(.+)$").matcher(report.substring(at));
        while (m.find()) {
            errors.merge(m.group(2).strip(), Long.parseLong(m.group(1)), Long::sum);
        }
        return errors;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
