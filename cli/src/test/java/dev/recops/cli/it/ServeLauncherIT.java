package dev.recops.cli.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Black box: the built distribution's launcher, started as a person would, on a free port;
 * searched over HTTP; stopped with SIGTERM.
 */
class ServeLauncherIT {
    private static final Path DIST = Path.of(System.getProperty("recops.dist"));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    @TempDir
    Path home;

    @AfterEach
    void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    @Test
    void launcherServesRealSearchesAndStopsOnSigterm() throws Exception {
        int port = freePort();
        Path stdout = home.resolve("out.log");
        Path stderr = home.resolve("err.log");
        ProcessBuilder pb = new ProcessBuilder(DIST.resolve("bin/recops").toString(), "serve", "--port", Integer.toString(port))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CACHE_HOME");
        pb.environment().remove("JAVA_HOME");
        process = pb.start();

        String base = "http://127.0.0.1:" + port;
        awaitReady(base, Duration.ofSeconds(120), stderr);

        HttpResponse<String> search = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"gaming chair with footrest and speakers\", \"k\": 3}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(search.statusCode()).isEqualTo(200);
        assertThat(search.body()).containsIgnoringCase("gaming chair");

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("stops within 20 s of SIGTERM").isTrue();
        assertThat(Files.readString(stdout)).contains("http://127.0.0.1:" + port).contains("try: curl");
        assertThat(Files.readString(stderr)).doesNotContain("Exception").doesNotContain("\tat ");
        try (var cached = Files.list(home.resolve(".cache/recops/embeddings"))) {
            assertThat(cached.count()).as("catalog embeddings cached for the next start").isEqualTo(2);
        }
    }

    private void awaitReady(String base, Duration timeout, Path stderr) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("server exited early: %s", Files.readString(stderr)).isTrue();
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return;
                }
                assertThat(ready.statusCode()).isEqualTo(503);
            } catch (IOException notListeningYet) {
                // the JVM is still starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not ready within " + timeout + ": " + Files.readString(stderr));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
