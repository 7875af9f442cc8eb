package dev.recops.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shell's built-ins that need no server: help lists the commands and the shell's own, help COMMAND its usage. */
@Tag("command")
class ShellSessionTest {
    private final ShellSession session = new ShellSession(
            Main.commandLine(new PrintWriter(PrintWriter.nullWriter()), new PrintWriter(PrintWriter.nullWriter())).getCommandSpec());

    @Test
    void helpListsTheCommandsAndTheBuiltInsOneLineEach() {
        String help = session.builtin(List.of("help"));
        assertThat(help).startsWith("Commands").contains("\n  serve ", "\n  bench ", "\n  model ", "connect URL", "disconnect", "exit, quit")
                .as("a list, not the manual").doesNotContain("Usage:").doesNotContain("--hnsw-ef");
        assertThat(help.lines().filter(l -> l.startsWith("  serve "))).singleElement().asString().hasSizeLessThan(200);
        assertThat(session.builtin(List.of("?"))).isEqualTo(help);
    }

    @Test
    void helpWithACommandShowsItsUsageAndAnUnknownOneSaysSo() {
        assertThat(session.builtin(List.of("help", "model", "promote"))).startsWith("Usage: recops model promote");
        assertThat(session.builtin(List.of("help", "nope"))).isEqualTo("help: no command 'nope' (help lists them)");
        assertThat(session.builtin(List.of("serve"))).as("not a built-in").isNull();
    }
}
