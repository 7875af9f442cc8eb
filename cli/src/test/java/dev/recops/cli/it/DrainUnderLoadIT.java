package dev.recops.cli.it;

import org.junit.jupiter.api.Test;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM under steady load: every request the server accepted is answered 200; none fails or is
 * reset. The clients behave like a load balancer's: a health checker polls readiness every 100 ms
 * and new requests stop once it reports not ready. Each request uses its own connection, so a
 * refused connection (after the listener closed) is told apart from a reset one.
 */
class DrainUnderLoadIT {
    static {
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "connection");
    }

    @TempDir
    Path home;

    @Test
    void noAcceptedRequestFailsOrIsResetWhenSigtermArrivesUnderLoad() throws Exception {
        try (LaunchedServer server = LaunchedServer.start(home, "--drain-delay", "1s", "--drain-timeout", "10s")) {
            server.awaitReady(Duration.ofSeconds(120));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            AtomicBoolean inRotation = new AtomicBoolean(true);
            AtomicBoolean stop = new AtomicBoolean(false);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger okAfterSignal = new AtomicInteger();
            AtomicBoolean signalled = new AtomicBoolean(false);
            AtomicInteger refused = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            String[] queries = {"sofa", "desk lamp", "gaming chair", "rug", "coffee table", "bookshelf"};

            Thread checker = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    if (server.readiness() != 200) {
                        inRotation.set(false);
                    }
                    sleep(100);
                }
            });
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int id = c;
                clients.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get() && i < 100_000; i++) {
                        if (!inRotation.get()) {
                            sleep(20);
                            continue;
                        }
                        HttpRequest request = HttpRequest.newBuilder(URI.create(server.base() + "/v1/search"))
                                .header("Content-Type", "application/json").header("Connection", "close")
                                .timeout(Duration.ofSeconds(15))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"" + queries[(id + i) % queries.length] + "\"}"))
                                .build();
                        try {
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                                if (signalled.get()) {
                                    okAfterSignal.incrementAndGet();
                                }
                            } else {
                                failures.add("status " + r.statusCode() + ": " + r.body());
                            }
                        } catch (ConnectException e) {
                            refused.incrementAndGet(); // never accepted
                        } catch (IOException e) {
                            failures.add("I/O: " + e);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }

            Thread.sleep(1500);
            assertThat(ok.get()).as("steady load before the signal").isPositive();
            signalled.set(true);
            server.process.destroy(); // SIGTERM
            assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).as("exits within 30 s").isTrue();
            stop.set(true);
            for (Thread t : clients) {
                t.join(20_000);
            }
            checker.join(5_000);

            assertThat(failures).as("accepted requests that failed or were reset").isEmpty();
            assertThat(okAfterSignal.get()).as("requests served while draining").isPositive();
            assertThat(server.process.exitValue()).isZero();
            assertThat(Files.readString(server.stderr)).contains("draining").contains("stopped");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
