package dev.recops.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.util.List;

/** The root command: {@code recops}. Without a subcommand it shows its usage and exits 2. */
@Command(
        name = "recops",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Operations toolkit for the AI models behind an e-commerce store's search and recommendations.")
public final class RecopsCommand implements Runnable {
    /**
     * The subcommands, in the order help lists them. Added by {@link Main}, not by the
     * annotation: picocli builds the model of every command it is given from their annotations
     * by reflection (about 0.3 s for all of these), so a command line that names one runs with
     * that one only.
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            ServeCommand.class, BenchCommand.class, TrainCommand.class, PredictLatencyCommand.class, ReviewCommand.class,
            DrillCommand.class, ModelCommand.class, CatalogCommand.class, ShellCommand.class, TopCommand.class,
            AutoComplete.GenerateCompletion.class, HelpCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Log more, and show stack traces with errors.")
    boolean verbose;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
