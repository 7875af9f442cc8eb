package dev.recops.cli;

import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.shell.jline3.PicocliJLineCompleter;

import java.io.File;
import java.nio.file.Path;
import java.util.List;

/**
 * Completion in {@code recops shell}: commands, options and enum values from the command classes
 * (picocli's own completer), file paths after an option that takes a file, the shell's built-ins,
 * and, when connected, the server's version names for {@code model} commands.
 */
final class ShellCompleter implements Completer {
    private static final List<String> BUILTINS = List.of("connect", "disconnect", "exit");

    private final CommandSpec root;
    private final ShellSession session;
    private final Completer commands;
    private final Completer files = new Completers.FileNameCompleter();

    ShellCompleter(CommandSpec root, ShellSession session) {
        this.root = root;
        this.session = session;
        this.commands = new PicocliJLineCompleter(root);
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        List<String> before = line.words().subList(0, line.wordIndex());
        if (before.isEmpty()) {
            BUILTINS.forEach(b -> candidates.add(new Candidate(b)));
        }
        CommandSpec spec = root;
        for (String w : before) {
            CommandLine sub = spec.subcommands().get(w);
            if (sub != null) {
                spec = sub.getCommandSpec();
            }
        }
        OptionSpec option = before.isEmpty() ? null : spec.findOption(before.getLast());
        boolean fileOption = option != null && option.arity().max() > 0 && takesAFile(option.type(), option.paramLabel());
        boolean filePositional = option == null && !line.word().startsWith("-")
                && spec.positionalParameters().stream().anyMatch(p -> takesAFile(p.type(), p.paramLabel()));
        if (fileOption || filePositional) {
            files.complete(reader, line, candidates);
            if (fileOption) {
                return;
            }
        }
        if (option == null && !before.isEmpty() && before.getFirst().equals("model") && !line.word().startsWith("-")) {
            session.versions().forEach(v -> candidates.add(new Candidate(v)));
        }
        commands.complete(reader, line, candidates);
    }

    private static boolean takesAFile(Class<?> type, String label) {
        return type == Path.class || type == File.class || label.matches(".*(FILE|DIR|PATH|LOG).*");
    }
}
