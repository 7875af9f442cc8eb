package dev.recops.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code recops help [COMMAND...]}: a command's manual page, through man(1) when a person is at a
 * terminal and the distribution ships the page ({@code man/man1}); its usage otherwise (a pipe, a
 * script, no man).
 */
@Command(name = "help", helpCommand = true,
        description = {"Show a command's manual page (man, on a terminal) or its usage (in a pipe, or where man is missing).", ""})
final class HelpCommand implements Runnable, CommandLine.IHelpCommandInitializable2 {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, with its subcommand if any (help model promote).")
    String[] words = {};

    private CommandLine self;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.out = out;
    }

    @Override
    public void run() {
        CommandLine target = self.getParent();
        for (String word : words) {
            CommandLine sub = target.getSubcommands().get(word);
            if (sub == null) {
                throw new CommandLine.ParameterException(self, "no command '" + String.join(" ", words) + "'");
            }
            target = sub;
        }
        Path page = Path.of(System.getProperty("recops.home", "."), "man", "man1", target.getCommandSpec().qualifiedName("-") + ".1");
        Console console = System.console();
        if (console != null && console.isTerminal() && Files.isRegularFile(page) && man(page)) {
            return;
        }
        target.usage(out);
    }

    /** Shows the page with man; false when man cannot be run. */
    private static boolean man(Path page) {
        try {
            return new ProcessBuilder("man", "-l", page.toString()).inheritIO().start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
