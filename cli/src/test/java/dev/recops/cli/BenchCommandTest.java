package dev.recops.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** recops bench's exit-code contract against a trivial local server: 0 met, 3 breached, 2 bad arguments, 4 unreachable. */
@Tag("command")
class BenchCommandTest {
    private static HttpServer server;
    private static String url;

    @TempDir
    static Path dir;
    private static Path queries;

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            byte[] body = "{}".getBytes();
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/v1/search") ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
        queries = Files.writeString(dir.resolve("queries.txt"), "desk lamp\ngaming chair\n");
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static CommandResult bench(String... extra) {
        List<String> args = new ArrayList<>(List.of("bench", "--url", url, "--queries", queries.toString(), "--duration", "1s",
                "--warmup", "0s", "--rate", "50"));
        args.addAll(List.of(extra));
        return CommandResult.run(args.toArray(String[]::new));
    }

    /** An option that shapes only an in-process engine is refused with a server URL, rather than accepted and ignored. */
    @Test
    void engineOptionsAreRefusedWithAServerUrlInsteadOfIgnored() {
        for (String[] option : new String[][] {{"--query-cache", "0"}, {"--workers", "4"}, {"--index", "hnsw"}, {"--no-cache"}}) {
            CommandResult r = bench(option);
            assertThat(r.exitCode()).as(option[0]).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().lines()).as(option[0]).singleElement().asString().startsWith("recops: " + option[0]
                    + " shapes an engine run in this process, and the server at " + url + " is configured by its own options");
        }
    }

    @Test
    void aMetObjectiveExitsZeroAndSaysSo() {
        CommandResult r = bench("--slo", "p99<=5s", "--slo", "errors<=1%");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("open loop at 50/s").contains("50 sent, 0 dropped, 50 answered")
                .contains("p99<=5s:").contains("(met)").doesNotContain("BREACHED")
                .containsPattern("connections [1-9]\\d* opened, \\d+ requests? on kept-alive ones \\(never retried\\)");
    }

    @Test
    void chartsDrawTheRunAndASweepOfRates(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        CommandResult one = bench("--slo", "p99<=5s", "--chart", dir.resolve("one").toString());
        assertThat(one.exitCode()).as(one.err()).isZero();
        try (var files = java.nio.file.Files.list(dir.resolve("one"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("latency-over-time.png", "throughput.png", "percentiles.png");
        }
        CommandResult sweep = bench("--sweep", "rate=20,40", "--slo", "p99<=5s", "--chart", dir.resolve("sweep").toString());
        assertThat(sweep.exitCode()).as(sweep.err()).isZero();
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("sweep").resolve("latency-vs-rate.png").toFile());
        assertThat(png).isNotNull();
        assertThat(png.getWidth()).isEqualTo(1000);
    }

    @Test
    void aReportIsOneHtmlFileWithTheSummaryAndEveryChartEmbeddedAndTheBaselineOverlaid(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Path base = dir.resolve("base.json");
        assertThat(bench("--out", base.toString()).exitCode()).isZero();
        Path html = dir.resolve("run.html");
        CommandResult r = bench("--slo", "p99<=5s", "--compare", base.toString(), "--report", html.toString());
        assertThat(r.exitCode()).as(r.err()).isIn(ExitCodes.OK, ExitCodes.CHECK_FAILED); // a noisy 1 s run may look like a regression
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("open loop at 50/s").contains("p99&lt;=5s")
                .contains("compare    p99").doesNotContain("src=\"http").doesNotContain("<link").doesNotContain("<script"); // nothing fetched
        List<java.awt.image.BufferedImage> images = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("src=\"data:image/png;base64,([^\"]+)\"").matcher(page);
        while (m.find()) {
            images.add(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(1)))));
        }
        assertThat(images).hasSize(3).allSatisfy(i -> assertThat(i.getWidth()).isEqualTo(1000));
        var distribution = new com.fasterxml.jackson.databind.ObjectMapper().readTree(base.toFile()).get("distribution_ms");
        assertThat(distribution.get(distribution.size() - 1).get("percentile").asDouble()).as("the run file carries the distribution to p99.99")
                .isEqualTo(99.99);
    }

    @Test
    void aBreachedObjectiveExitsThreeAndNamesIt() {
        CommandResult r = bench("--slo", "p99<=5s", "--slo", "p50<=1us");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(r.out()).contains("p50<=1us:").contains("(BREACHED)");
    }

    @Test
    void errorsBreachAnErrorObjective() {
        CommandResult r = bench("--mix", "get=1", "--path", "/nothing", "--slo", "errors<=0.1%", "--format", "json");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(r.out()).contains("\"status_404\" : 50").contains("\"met\" : false");
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        for (String[] bad : List.of(new String[] {"--slo", "p99=50ms"}, new String[] {"--concurrency", "4"}, new String[] {"--mix", "checkout=1"},
                new String[] {"--sweep", "batch-max=1,2"}, new String[] {"--find-max-rate"}, new String[] {"--repeats", "3"},
                new String[] {"--find-max-rate", "--slo", "p99<=50ms", "--repeats", "0"})) {
            CommandResult r = bench(bad);
            assertThat(r.exitCode()).as(String.join(" ", bad) + ": " + r.err()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().lines()).as(String.join(" ", bad)).hasSize(1).allMatch(l -> l.startsWith("recops: "));
        }
        assertThat(CommandResult.run("bench", "--rate", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aProfileOfAModelThatIsNotThereExitsFourWithOneLine(@org.junit.jupiter.api.io.TempDir Path dir) {
        CommandResult r = CommandResult.run("bench", "--profile", dir.resolve("p.csv").toString(), "--model-repo", dir.resolve("none").toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(r.err().lines()).hasSize(1).allMatch(l -> l.startsWith("recops: ") && l.contains("not found (see --model-repo)"));
    }

    @Test
    void anUnreachableTargetExitsFour() throws IOException {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // free again once closed
        }
        CommandResult r = CommandResult.run("bench", "--url", "http://127.0.0.1:" + port, "--queries", queries.toString(), "--duration", "1s");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(r.err().lines()).singleElement().asString().startsWith("recops: cannot connect to http://127.0.0.1:" + port);
    }

    @Test
    void aRunAppendsToTheCsvAndWritesAnIntervalLogThatMerges() throws IOException {
        Path csv = dir.resolve("runs.csv");
        Path hlog = dir.resolve("run.hlog");
        Path out = dir.resolve("run.json");
        assertThat(bench("--csv", csv.toString(), "--hdr-log", hlog.toString(), "--out", out.toString()).exitCode()).isZero();
        assertThat(Files.readAllLines(csv)).hasSize(2);
        CommandResult merged = CommandResult.run("bench", "merge", hlog.toString(), hlog.toString());
        assertThat(merged.exitCode()).isZero();
        assertThat(merged.out()).contains("merged 2 files").contains(" 100 requests");
        CommandResult compared = bench("--compare", out.toString());
        assertThat(compared.out()).contains("compare    p99:");
    }
}
