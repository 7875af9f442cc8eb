package dev.recops.cli.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Black box: {@code recops shell} typed into the way a person does, in a tmux pane (send-keys,
 * capture-pane), against a real server: completion of a command and of the server's version
 * names, a command's error and exit code, Ctrl-C during a running bench, Ctrl-D, and the history
 * recalled by a new shell.
 */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // server starts and load, with room for a busy runner
class ShellIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path home;

    @Test
    void aPersonTypesIntoTheShell() throws Exception {
        assumeTrue(onPath("tmux"), "tmux is not installed (scripts/test installs it)");
        Path serverHome = Files.createDirectories(home.resolve("server"));
        try (LaunchedServer server = LaunchedServer.start(serverHome, "--drain-delay", "0s")) {
            server.awaitReady(Duration.ofSeconds(120));
            String session = "recops-shell-" + ProcessHandle.current().pid();
            try {
                start(session, false);
                await(session, s -> s.contains("recops>"), "the prompt");
                assertThat(tmux("capture-pane", "-p", "-e", "-t", session)).as("a bold prompt on a colour terminal").contains("\u001b[1m");

                keys(session, "mod", "Tab");
                await(session, s -> s.contains("recops> model"), "mod<TAB> completed to model");
                keys(session, "C-u", "connect " + server.base(), "Enter");
                await(session, s -> s.contains("connected to " + server.base() + ": versions "), "connect");
                keys(session, "model promote ", "Tab");
                await(session, s -> Pattern.compile("(?m)(^|\\s)2(\\s|$)").matcher(s).find() && s.contains("--admin-url"),
                        "version names among the candidates");

                keys(session, "C-u", "servee", "Enter");
                await(session, s -> s.contains("did you mean 'serve'?") && s.contains("[exit 2]"), "the error and its exit code");

                keys(session, "bench --duration 60s --rate 5", "Enter");
                await(session, s -> s.contains("measure"), "the bench's progress");
                keys(session, "C-c");
                await(session, s -> s.contains("^C cancelled") && s.contains("[exit 130]"), "Ctrl-C cancels the bench");
                assertThat(tmux("capture-pane", "-p", "-t", session)).as("the bench stopped when interrupted").doesNotContain("still stopping");
                await(session, s -> s.strip().endsWith("recops " + server.base().substring("http://".length()) + ">"), "the prompt again");

                keys(session, "C-d");
                await(session, s -> s.contains("SHELL-EXIT=0"), "Ctrl-D leaves with 0");
                tmux("kill-session", "-t", session);

                assertThat(Files.readString(home.resolve(".local/state/recops/history"))).contains("servee").contains("bench --duration 60s");
                start(session, true);
                await(session, s -> s.contains("recops>"), "the prompt of a new shell");
                keys(session, "Up");
                await(session, s -> s.contains("recops> bench --duration 60s --rate 5"), "history recalled after a restart");
                assertThat(tmux("capture-pane", "-p", "-e", "-t", session)).as("NO_COLOR: no escape sequences").doesNotContain("\u001b[");
                keys(session, "C-u", "C-d");
                await(session, s -> s.contains("SHELL-EXIT=0"), "Ctrl-D leaves");
            } finally {
                new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor();
            }
        }
    }

    private void start(String session, boolean noColor) throws Exception {
        String recops = LaunchedServer.DIST.resolve("bin/recops").toString();
        String env = "env -u XDG_STATE_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u JAVA_HOME" + (noColor ? "" : " -u NO_COLOR") + " HOME=" + home
                + (noColor ? " NO_COLOR=1" : "");
        tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", env + " " + recops + " shell; echo SHELL-EXIT=$?; sleep 600");
    }

    private static void keys(String session, String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    /** Waits until the pane shows what {@code shows} looks for; fails with the screen when it does not within a minute. */
    private static void await(String session, Predicate<String> shows, String what) throws Exception {
        Poll.until("the shell to show " + what, WAIT, () -> tmux("capture-pane", "-p", "-t", session, "-S", "-100"), shows);
    }

    private static String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("tmux " + String.join(" ", args) + ": " + out).isZero();
        return out;
    }

    private static boolean onPath(String tool) {
        return java.util.Arrays.stream(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
