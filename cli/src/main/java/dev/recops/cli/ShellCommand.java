package dev.recops.cli;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code recops shell}: every command at a prompt, with completion (commands, options, enum values,
 * file paths, and a connected server's version names), history kept across sessions, and a
 * session context ({@code connect URL}) that fills in {@code --url}, {@code --admin-url} and
 * {@code --admin-token-file} for the commands that take them.
 */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"An interactive console over the same commands: Tab completes, Up recalls (history in $XDG_STATE_HOME/recops/history), "
                + "Ctrl-C cancels the running command, Ctrl-D leaves. Built in: connect URL [--admin-url URL] [--admin-token-file FILE], "
                + "disconnect, help [COMMAND] (the commands, or one's options), exit. A non-zero exit code is shown after the command. No colour when NO_COLOR is set or the terminal is dumb.", ""})
final class ShellCommand implements Callable<Integer> {
    /** How long a cancelled command may take to stop before the prompt comes back anyway. */
    private static final long CANCEL_WAIT_SECONDS = 5;

    @Override
    public Integer call() throws Exception {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            Path history = historyFile();
            Files.createDirectories(history.getParent());
            // the tree completion and the session read; each command line runs in a fresh one (options start unset)
            var root = Main.commandLine(new PrintWriter(PrintWriter.nullWriter()), new PrintWriter(PrintWriter.nullWriter())).getCommandSpec();
            ShellSession session = new ShellSession(root);
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("recops")
                    .completer(new ShellCompleter(root, session))
                    .variable(LineReader.HISTORY_FILE, history).build();
            boolean colour = System.getenv("NO_COLOR") == null && !Terminal.TYPE_DUMB.equals(terminal.getType())
                    && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
            PrintWriter out = terminal.writer();
            while (true) {
                String line;
                try {
                    String prompt = "recops" + session.url().map(u -> " " + u.replaceFirst("^https?://", "")).orElse("") + "> ";
                    line = reader.readLine(colour ? new AttributedString(prompt, AttributedStyle.BOLD).toAnsi(terminal) : prompt);
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt clears the line
                } catch (EndOfFileException e) {
                    return ExitCodes.OK; // Ctrl-D
                }
                List<String> words = new ArrayList<>(reader.getParsedLine().words().stream().filter(w -> !w.isEmpty()).toList());
                if (words.isEmpty()) {
                    continue;
                }
                if (words.getFirst().equals("exit") || words.getFirst().equals("quit")) {
                    return ExitCodes.OK;
                }
                String said = session.builtin(words);
                if (said != null) {
                    out.println(said);
                    out.flush();
                    continue;
                }
                int code = run(terminal, session.withContext(words));
                if (code != ExitCodes.OK) {
                    out.println(colour ? new AttributedString("[exit " + code + "]", AttributedStyle.DEFAULT.foreground(AttributedStyle.RED)).toAnsi(terminal)
                            : "[exit " + code + "]");
                }
                out.flush();
            }
        }
    }

    /**
     * Runs one command on its own thread. Ctrl-C interrupts it and brings the prompt back, after
     * the command has stopped or {@link #CANCEL_WAIT_SECONDS} have passed: 130, as a shell says.
     */
    private static int run(Terminal terminal, List<String> args) throws InterruptedException {
        PrintWriter out = terminal.writer();
        int[] code = {ExitCodes.OK};
        CountDownLatch over = new CountDownLatch(1);
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread command = Thread.ofPlatform().name("recops-shell-command").daemon().start(() -> {
            try {
                code[0] = Main.commandLine(out, out).execute(args.toArray(String[]::new));
            } finally {
                over.countDown();
            }
        });
        // serve installs its own INT handler while it runs; taking it back for every command keeps Ctrl-C the shell's
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, s -> {
            cancelled.set(true);
            command.interrupt();
            over.countDown();
        });
        try {
            over.await();
            if (cancelled.get()) {
                command.join(TimeUnit.SECONDS.toMillis(CANCEL_WAIT_SECONDS));
                out.println(command.isAlive() ? "^C cancelled (still stopping in the background)" : "^C cancelled");
                return 130;
            }
            return code[0];
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
        }
    }

    private static Path historyFile() {
        String state = System.getProperty("recops.state");
        if (state == null) {
            String xdg = System.getenv("XDG_STATE_HOME");
            state = (xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".local", "state") : Path.of(xdg)).resolve("recops").toString();
        }
        return Path.of(state, "history");
    }
}
