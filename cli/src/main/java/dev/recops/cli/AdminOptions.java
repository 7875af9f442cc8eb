package dev.recops.cli;

import dev.recops.engine.admin.AdminClient;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a server's admin API is and how to authenticate: shared by the model and catalog subcommands. */
final class AdminOptions {
    @Option(names = "--admin-url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8081",
            description = "The server's admin API (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.config:-${sys:user.home}/.config/recops}/admin-token",
            description = "The admin token (default: the file serve creates, $XDG_CONFIG_HOME/recops/admin-token).")
    Path tokenFile;

    AdminClient client() {
        return AdminClient.of(url, tokenFile);
    }
}
