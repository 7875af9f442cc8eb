package dev.recops.cli.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Black box: the built distribution's launcher, started as a person would, on a free port;
 * searched over HTTP; stopped with SIGTERM.
 */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // server starts and load, with room for a busy runner
class ServeLauncherIT {
    @TempDir
    Path home;

    @Test
    void launcherServesRealSearchesAndStopsOnSigterm() throws Exception {
        try (LaunchedServer server = LaunchedServer.start(home, "--drain-delay", "0s")) {
            server.awaitReady(Duration.ofSeconds(120));
            HttpResponse<String> search = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.base() + "/v1/search"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"query\": \"gaming chair with footrest and speakers\", \"k\": 3}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(search.statusCode()).isEqualTo(200);
            assertThat(search.body()).containsIgnoringCase("gaming chair");

            server.process.destroy(); // SIGTERM
            assertThat(server.process.waitFor(20, TimeUnit.SECONDS)).as("stops within 20 s of SIGTERM").isTrue();
            assertThat(server.process.exitValue()).isZero();
            assertThat(Files.readString(server.stdout)).contains(server.base()).contains("try: curl");
            assertThat(Files.readString(server.stderr)).doesNotContain("Exception").doesNotContain("\tat ");
            try (var cached = Files.list(home.resolve(".cache/recops/embeddings"))) {
                assertThat(cached.count()).as("catalog embeddings cached for the next start").isEqualTo(2);
            }
            assertThat(classArchive("serve.jsa")).as("serve's own class-data archive, for a faster next start").isRegularFile();
            assertThat(classArchive("serve.jsa.ok")).as("marked as written by a run that succeeded").isRegularFile();
        }
    }

    /**
     * A serve killed outright (SIGKILL, as the OOM killer or a drill does) leaves no copy of ONNX
     * Runtime's 20 MB libraries behind: the launcher loads them from the distribution, where
     * each JVM used to copy them into its own /tmp/onnxruntime-java* directory.
     */
    @Test
    void aKilledServerLeavesNoCopyOfTheNativeLibrariesInTheTemporaryDirectory() throws Exception {
        Path tmp = Files.createDirectories(home.resolve("tmp"));
        try (LaunchedServer server = LaunchedServer.start(home, java.util.Map.of("JAVA_OPTS", "-Djava.io.tmpdir=" + tmp), "--drain-delay", "0s")) {
            server.awaitReady(Duration.ofSeconds(120));
            server.process.destroyForcibly(); // SIGKILL: no shutdown hook, no delete-on-exit
            assertThat(server.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        try (var left = Files.walk(tmp)) {
            assertThat(left.filter(p -> p.getFileName().toString().contains("onnxruntime") && Files.isRegularFile(p)).toList())
                    .as("ONNX Runtime's libraries copied to " + tmp).isEmpty();
        }
    }

    /** The launcher's class-data archive for a command, in the one build directory under the cache. */
    private Path classArchive(String name) throws java.io.IOException {
        try (var builds = Files.list(home.resolve(".cache/recops/cds"))) {
            return builds.toList().getFirst().resolve(name);
        }
    }

    /**
     * A second signal during the drain delay is acknowledged and cuts the delay short. Both are
     * SIGTERM: a suite started in the background by a script inherits SIGINT as ignored, and the
     * JVM then leaves it ignored, so a test relying on SIGINT's disposition would depend on how
     * the suite was started.
     */
    @Test
    void aSecondSignalSkipsTheDrainDelayAndSaysSo() throws Exception {
        try (LaunchedServer server = LaunchedServer.start(home, "--drain-delay", "120s", "--drain-timeout", "5s")) {
            server.awaitReady(Duration.ofSeconds(120));
            server.process.destroy(); // SIGTERM
            Poll.until("the drain to begin", Duration.ofSeconds(30), () -> Files.readString(server.stderr), log -> log.contains("draining"));
            assertThat(Files.readString(server.stderr)).contains("SIGTERM: draining");
            server.process.destroy(); // SIGTERM again
            assertThat(server.process.waitFor(60, TimeUnit.SECONDS)).as("stops long before the 120 s drain delay").isTrue();
            assertThat(server.process.exitValue()).isZero();
            assertThat(Files.readString(server.stderr)).contains("SIGTERM again: skipping the rest of the drain delay; up to 5s for requests in flight")
                    .contains("recops: stopped");
        }
    }

    /**
     * A start that fails (a catalog missing or malformed, the port taken) exits with its documented
     * code, its error as the last line, and never as a JVM crash: no crash banner, no hs_err file.
     * The catalog fails while the model is still being opened; the port while the runtime loads.
     */
    @Test
    void aStartThatFailsExitsWithItsCodeAndLineAndNeverCrashes() throws Exception {
        Path bad = Files.writeString(home.resolve("unclosed.csv"), "product_id,title\nP1,\"an unclosed quote\n");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            record Fault(String name, int port, List<String> args, int exit, String line) {}
            for (Fault f : List.of(
                    new Fault("missing", 0, List.of("--catalog", home.resolve("nowhere.csv").toString()), 4, "recops: catalog " + home.resolve("nowhere.csv") + " not found"),
                    new Fault("unclosed", 0, List.of("--catalog", bad.toString()), 2, "recops: catalog " + bad + " line 2: quoted field is never closed"),
                    new Fault("port", taken.getLocalPort(), List.of(), 4, "recops: cannot listen on 127.0.0.1:" + taken.getLocalPort()))) {
                Path dir = Files.createDirectories(home.resolve(f.name()));
                try (LaunchedServer server = LaunchedServer.startOn(f.port(), dir, f.args().toArray(String[]::new))) {
                    assertThat(server.process.waitFor(120, TimeUnit.SECONDS)).as(f.name()).isTrue();
                    List<String> err = Files.readAllLines(server.stderr);
                    assertThat(server.process.exitValue()).as(f.name() + ": " + err).isEqualTo(f.exit());
                    assertThat(err).as(f.name()).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("recops: "));
                    assertThat(err.getLast()).as(f.name()).startsWith(f.line());
                    try (var files = Files.list(dir)) {
                        assertThat(files.map(p -> p.getFileName().toString())).as(f.name() + ": no JVM crash").noneMatch(n -> n.startsWith("hs_err"));
                    }
                }
            }
        }
    }

    /**
     * serve starts with the JDK's vector API, whose incubator notice the launcher filters out:
     * a bad option is still one line and exit code 2, in the file as soon as the process has
     * exited (stderr is the real one again once Main runs, not the filter's pipe).
     */
    @Test
    void aBadOptionIsOneLineOnStderrWithoutTheIncubatorNotice() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            try (LaunchedServer server = LaunchedServer.start(home, "--workers", "many")) {
                assertThat(server.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(server.process.exitValue()).isEqualTo(2);
                assertThat(Files.readAllLines(server.stderr)).singleElement().asString()
                        .startsWith("recops: Invalid value for option '--workers': 'many' is not an int");
                assertThat(Files.readString(server.stdout)).isEmpty();
            }
        }
        // The archive a failed run leaves holds only the classes of parsing a bad option: unmarked,
        // so the next start of serve writes it again instead of mapping it for good.
        assertThat(classArchive("serve.jsa.ok")).doesNotExist();
    }
}
