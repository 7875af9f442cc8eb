package dev.recops.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Failures of {@code recops serve} as a person meets them: one line, the right exit code. */
@Tag("command")
class ServeCommandTest {
    @TempDir
    Path dir;

    private static final Path MODELS = Path.of(System.getProperty("recops.defaultModels"));
    private static final Path CATALOG = Path.of(System.getProperty("recops.testdata"), "esci/products.csv");

    private CommandResult serve(String... extra) {
        String[] base = {"serve", "--port", "0", "--cache-dir", dir.resolve("cache").toString(), "--admin-port", "0",
            "--admin-token-file", dir.resolve("admin-token").toString(), "--state-file", dir.resolve("state.json").toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CommandResult.run(args);
    }

    /** The error is the last line on stderr, one line, no stack trace; progress lines may precede it. */
    private static void assertOneLineError(CommandResult r, int exitCode, String text) {
        assertThat(r.exitCode()).isEqualTo(exitCode);
        assertThat(r.err().lines().toList().getLast()).startsWith("recops: ").contains(text);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void aMissingModelRepositoryIsAPreconditionFailure() {
        CommandResult r = serve("--model-repo", dir.resolve("nowhere").toString(), "--catalog", CATALOG.toString());
        assertOneLineError(r, ExitCodes.PRECONDITION, "model repository " + dir.resolve("nowhere") + " not found (see --model-repo)");
    }

    @Test
    void aMissingCatalogIsAPreconditionFailure() {
        CommandResult r = serve("--model-repo", MODELS.toString(), "--catalog", dir.resolve("none.csv").toString());
        assertOneLineError(r, ExitCodes.PRECONDITION, "none.csv not found (see --catalog)");
    }

    @Test
    void aMalformedCatalogIsInvalidInput() throws IOException {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "product_id,title\nA,\"never closed\n");
        CommandResult r = serve("--model-repo", MODELS.toString(), "--catalog", csv.toString());
        assertOneLineError(r, ExitCodes.USAGE, "line 2");
    }

    @Test
    void aCorruptModelFileFailsVerification() throws IOException {
        Path version = dir.resolve("repo/search-encoder/1");
        Files.createDirectories(version);
        Path shipped = MODELS.resolve("search-encoder/1");
        Files.copy(shipped.resolve("model.json"), version.resolve("model.json"));
        Files.copy(shipped.resolve("model.onnx"), version.resolve("model.onnx"));
        Files.writeString(version.resolve("tokenizer.json"), "{}");
        CommandResult r = serve("--model-repo", dir.resolve("repo").toString(), "--catalog", CATALOG.toString());
        assertOneLineError(r, ExitCodes.CHECK_FAILED, "checksum mismatch for " + version.resolve("tokenizer.json"));
    }

    @Test
    void aBusyPortIsAPreconditionFailure() throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CommandResult r = CommandResult.run("serve", "--port", Integer.toString(busy.getLocalPort()),
                    "--model-repo", MODELS.toString(), "--catalog", CATALOG.toString(), "--no-cache");
            assertOneLineError(r, ExitCodes.PRECONDITION, "cannot listen on 127.0.0.1:" + busy.getLocalPort());
        }
    }

    @Test
    void aBusyAdminPortNamesTheAdminOptions() throws IOException {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CommandResult r = CommandResult.run("serve", "--port", "0", "--admin-port", Integer.toString(busy.getLocalPort()),
                    "--admin-token-file", dir.resolve("admin-token").toString(), "--state-file", dir.resolve("state.json").toString(),
                    "--model-repo", MODELS.toString(), "--catalog", CATALOG.toString(), "--no-cache");
            assertOneLineError(r, ExitCodes.PRECONDITION, "(see --admin-port, --admin-host, --no-admin)");
        }
    }

    @Test
    void verboseAddsTheStackTrace() {
        CommandResult r = serve("--verbose", "--model-repo", dir.resolve("nowhere").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.PRECONDITION);
        assertThat(r.err()).contains("\tat ");
    }
}
