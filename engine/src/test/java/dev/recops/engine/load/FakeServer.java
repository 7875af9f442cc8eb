package dev.recops.engine.load;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A trivial HTTP server for load-generator tests (the JDK's): answers every request 200 with a
 * small JSON body, except the status set by {@link #failWith}, and holds every request while a
 * stall is on ({@link #stallAfter}). Stalls are counted in POSTs, not time, so that a slow start
 * of the client (its first GET /metrics) cannot move them.
 */
public final class FakeServer implements AutoCloseable {
    static {
        // The JDK server keeps at most 200 idle connections and closes the rest; after a stall at
        // hundreds of requests a second the generator holds more than that, and (never retrying)
        // would count requests written on the closed ones as lost. The fixture is not under test.
        System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
    }

    private final HttpServer server;
    private volatile long stallUntilNanos;
    private volatile int status = 200;
    private volatile String degradedReason = "";
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong posts = new AtomicLong();
    private volatile long stallAtPost = -1;
    private volatile long stallMillis;

    public FakeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            requests.incrementAndGet();
            if (exchange.getRequestMethod().equals("POST") && posts.incrementAndGet() == stallAtPost) {
                stallUntilNanos = System.nanoTime() + stallMillis * 1_000_000;
            }
            for (long left = stallUntilNanos - System.nanoTime(); left > 0; left = stallUntilNanos - System.nanoTime()) {
                try {
                    Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if (!degradedReason.isEmpty()) {
                exchange.getResponseHeaders().add(dev.recops.engine.serve.ServeServer.DEGRADED_HEADER, degradedReason);
            }
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public long requests() {
        return requests.get();
    }

    /** POSTs received: the load's requests, without the target's own GETs of /metrics. */
    public long posts() {
        return posts.get();
    }

    /** When the {@code post}th POST arrives, every request arriving or waiting in the next {@code millis} is held until then. */
    public void stallAfter(long post, long millis) {
        stallMillis = millis;
        stallAtPost = posts.get() + post;
    }

    public void failWith(int status) {
        this.status = status;
    }

    /** From now on answers 200 from its "fallback", as recops serve says it: the degraded header with {@code reason}. */
    public void degradeWith(String reason) {
        this.degradedReason = reason;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
