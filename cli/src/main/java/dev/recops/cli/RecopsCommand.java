package dev.recops.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The root command: {@code recops}. Without a subcommand it shows its usage and exits 2. */
@Command(
        name = "recops",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Operations toolkit for the AI models behind an e-commerce store's search and recommendations.",
        subcommands = {ServeCommand.class, BenchCommand.class, TrainCommand.class, PredictLatencyCommand.class, ReviewCommand.class, DrillCommand.class, ModelCommand.class, CatalogCommand.class, ShellCommand.class, TopCommand.class,
                AutoComplete.GenerateCompletion.class, HelpCommand.class})
public final class RecopsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Log more, and show stack traces with errors.")
    boolean verbose;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
