package dev.recops.cli.it;

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
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/recops serve} from the built distribution, on a free port, with its own HOME, which
 * is also its working directory (where a JVM crash would leave its hs_err file).
 */
final class LaunchedServer implements AutoCloseable {
    static final Path DIST = Path.of(System.getProperty("recops.dist"));

    final Process process;
    final int port;
    final Path stdout;
    final Path stderr;
    final Path home;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private LaunchedServer(Process process, int port, Path home) {
        this.process = process;
        this.port = port;
        this.home = home;
        this.stdout = home.resolve("out.log");
        this.stderr = home.resolve("err.log");
    }

    static LaunchedServer start(Path home, String... extraArgs) throws IOException {
        return startOn(freePort(), home, extraArgs);
    }

    /** As {@link #start} on {@code port}, which may be taken. */
    static LaunchedServer startOn(int port, Path home, String... extraArgs) throws IOException {
        return startOn(port, home, java.util.Map.of(), extraArgs);
    }

    /** As {@link #start}, with more environment variables (JAVA_OPTS...). */
    static LaunchedServer start(Path home, java.util.Map<String, String> env, String... extraArgs) throws IOException {
        return startOn(freePort(), home, env, extraArgs);
    }

    private static LaunchedServer startOn(int port, Path home, java.util.Map<String, String> env, String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(DIST.resolve("bin/recops").toString(), "serve", "--port", Integer.toString(port),
                "--admin-port", "0"));
        command.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile())
                .redirectOutput(home.resolve("out.log").toFile())
                .redirectError(home.resolve("err.log").toFile());
        inHome(pb, home);
        pb.environment().putAll(env);
        return new LaunchedServer(pb.start(), port, home);
    }

    /** A recops process as a new user in {@code home} runs it: that HOME, no XDG directories, the launcher finding its own JDK. */
    static ProcessBuilder inHome(ProcessBuilder pb, Path home) {
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CACHE_HOME");
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().remove("XDG_STATE_HOME");
        pb.environment().remove("JAVA_HOME");
        return pb;
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** The readiness status code, or -1 when nothing answers. */
    int readiness() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base() + "/v2/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited early: " + Files.readString(stderr));
            }
            if (readiness() == 200) {
                return;
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

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
