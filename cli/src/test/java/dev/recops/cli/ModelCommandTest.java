package dev.recops.cli;

import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.serve.AdminServer;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.serve.ServeListener;
import dev.recops.engine.serve.ServeOptions;
import dev.recops.engine.telemetry.ServerMetrics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** recops model: verify as a CI gate, and the admin subcommands against a server in this JVM. */
@Tag("command")
class ModelCommandTest {
    private static final Path MODELS = Path.of(System.getProperty("recops.defaultModels"));
    private static final Path TESTDATA = Path.of(System.getProperty("recops.testdata"));
    private static Path dir;
    private static SearchService service;
    private static AdminServer admin;
    private static String adminUrl;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("recops-model-cmd");
        copy(MODELS.resolve("search-encoder/1"), dir.resolve("models/search-encoder/1"));
        copy(MODELS.resolve("search-encoder/1"), dir.resolve("models/search-encoder/5"));
        Files.write(dir.resolve("models/search-encoder/5/tokenizer.json"), new byte[] {' '}, StandardOpenOption.APPEND);
        ServeOptions options = new ServeOptions("127.0.0.1", 0, dir.resolve("models"), "search-encoder", "1",
                TESTDATA.resolve("esci/products.csv"), Optional.of(dir.resolve("cache")), 1, 1, OptionalInt.empty(), Optional.empty(),
                64, Duration.ofSeconds(5));
        ServerMetrics metrics = new ServerMetrics();
        service = new SearchService(options, metrics, ServeListener.NONE);
        service.load();
        admin = AdminServer.start("127.0.0.1", 0, service, BearerToken.open(dir.resolve("token")), AuditLog.open(Optional.empty()),
                metrics, false);
        adminUrl = "http://127.0.0.1:" + admin.port();
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @AfterAll
    static void stop() {
        admin.close();
        service.close();
    }

    private static CommandResult model(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("model"));
        all.addAll(List.of(args));
        all.addAll(List.of("--admin-url", adminUrl, "--admin-token-file", dir.resolve("token").toString()));
        return CommandResult.run(all.toArray(String[]::new));
    }

    @Test
    void statusAndListDescribeTheServer() {
        CommandResult status = model("status");
        assertThat(status.exitCode()).as(status.err()).isZero();
        assertThat(status.out()).contains("search-encoder: primary 1").contains("loaded 1");
        CommandResult list = model("list");
        assertThat(list.out()).contains("VERSION").containsPattern("1 +yes +yes").containsPattern("5 +no");
        assertThat(model("status", "--format", "json").out()).contains("\"primary_version\" : \"1\"");
    }

    @Test
    void trafficShowsAndValidatesThePolicy() {
        CommandResult shown = model("traffic");
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("primary 1; canary none; shadow none");
        assertThat(model("traffic", "--canary", "1", "--percent", "10").exitCode()).as("the primary as canary").isEqualTo(ExitCodes.PRECONDITION);
        assertThat(model("traffic", "--shadow", "7").exitCode()).as("not loaded").isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void keygenSignAndVerifyWithATrustedKey() throws IOException {
        Path keys = Files.createDirectories(dir.resolve("keys"));
        assertThat(CommandResult.run("model", "keygen", keys.resolve("release").toString()).exitCode()).isZero();
        Path version = dir.resolve("signed/search-encoder/1");
        copy(MODELS.resolve("search-encoder/1"), version);
        String pub = keys.resolve("release.pub.pem").toString();
        CommandResult noKey = CommandResult.run("model", "verify", version.toString());
        assertThat(noKey.out()).as("without a key nothing about a signature is 'ok'").contains("manifest signature: unsigned")
                .contains("graph inputs outputs: ok").doesNotContain("signature: ok");
        CommandResult unsigned = CommandResult.run("model", "verify", version.toString(), "--trusted-key", pub);
        assertThat(unsigned.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(unsigned.out()).contains("has no model.json.sig");
        assertThat(CommandResult.run("model", "sign", version.toString(), "--key", keys.resolve("release.pem").toString()).exitCode()).isZero();
        CommandResult signed = CommandResult.run("model", "verify", version.toString(), "--trusted-key", pub);
        assertThat(signed.exitCode()).as(signed.out() + signed.err()).isZero();
        assertThat(signed.out()).contains("manifest signature: ok");
    }

    @Test
    void failuresMapToTheExitCodeContract() throws IOException {
        assertThat(model("promote", "9").exitCode()).as("unknown version").isEqualTo(ExitCodes.USAGE);
        assertThat(model("unload", "1").exitCode()).as("the primary").isEqualTo(ExitCodes.PRECONDITION);
        CommandResult corrupted = model("load", "5");
        assertThat(corrupted.exitCode()).as("a corrupted version").isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(corrupted.err()).contains("checksum mismatch");
        assertThat(model("rollback").exitCode()).as("nothing to roll back to").isEqualTo(ExitCodes.PRECONDITION);
        Path wrong = Files.writeString(dir.resolve("wrong-token"), "not-the-token-not-the-token");
        CommandResult denied = CommandResult.run("model", "status", "--admin-url", adminUrl, "--admin-token-file", wrong.toString());
        assertThat(denied.exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(denied.err()).contains("refused the token");
        CommandResult unreachable = CommandResult.run("model", "status", "--admin-url", "http://127.0.0.1:1",
                "--admin-token-file", dir.resolve("token").toString());
        assertThat(unreachable.exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        String secret = "first-line-of-a-secret\nsecond-line-of-a-secret";
        Path twoLines = Files.writeString(dir.resolve("two-line-token"), secret);
        CommandResult multiLine = CommandResult.run("model", "status", "--admin-url", adminUrl, "--admin-token-file", twoLines.toString());
        assertThat(multiLine.exitCode()).as("a token file of two lines is invalid input").isEqualTo(ExitCodes.USAGE);
        assertThat(multiLine.err().lines().count()).isEqualTo(1);
        assertThat(multiLine.err()).contains("must hold one line").doesNotContain("secret").doesNotContain("Exception");
        assertThat(service.primaryVersion()).isEqualTo("1");
    }

    @Test
    void verifyPassesAGoodVersionWithItsQualityAndFailsACorruptedOne() {
        CommandResult good = CommandResult.run("model", "verify", dir.resolve("models/search-encoder/1").toString(),
                "--judgments", TESTDATA.resolve("esci/qrels.csv").toString(), "--queries", TESTDATA.resolve("esci/queries.csv").toString(),
                "--catalog", TESTDATA.resolve("esci/products.csv").toString(), "--min-ndcg", "0.8", "--format", "json");
        assertThat(good.exitCode()).as(good.err()).isZero();
        assertThat(good.out()).contains("\"ok\" : true").contains("\"ndcg_at_10\"").contains("\"warmup_p50_ms\"");
        CommandResult tooStrict = CommandResult.run("model", "verify", dir.resolve("models/search-encoder/1").toString(),
                "--judgments", TESTDATA.resolve("esci/qrels.csv").toString(), "--queries", TESTDATA.resolve("esci/queries.csv").toString(),
                "--catalog", TESTDATA.resolve("esci/products.csv").toString(), "--min-ndcg", "0.99");
        assertThat(tooStrict.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        CommandResult corrupted = CommandResult.run("model", "verify", dir.resolve("models/search-encoder/5").toString());
        assertThat(corrupted.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(corrupted.out()).contains("FAILED").contains("checksum mismatch");
        assertThat(CommandResult.run("model", "verify", dir.resolve("nowhere").toString()).exitCode()).isEqualTo(ExitCodes.PRECONDITION);
    }
}
