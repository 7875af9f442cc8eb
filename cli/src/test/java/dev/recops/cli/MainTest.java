package dev.recops.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("command")
class MainTest {
    @Test
    void helpListsTheCommandsAndTheExitCodeContract() {
        CommandResult r = CommandResult.run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("serve").contains("Exit codes:")
                .contains("0   ok").contains("3   check failed").contains("4   precondition failed");
    }

    @Test
    void everySubcommandHelpPrintsTheExitCodes() {
        for (String[] command : new String[][] {{"serve"}, {"bench"}, {"bench", "merge"}, {"model"}, {"model", "verify"}, {"model", "import"},
            {"model", "traffic"}, {"model", "promote"}, {"model", "sign"}, {"model", "keygen"}}) {
            String[] args = java.util.Arrays.copyOf(command, command.length + 1);
            args[command.length] = "--help";
            CommandResult r = CommandResult.run(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.err()).isZero();
            assertThat(r.out()).contains("Exit codes:").contains("2   usage error");
            assertThat(r.err()).as("picocli format warnings").isEmpty();
        }
    }

    @Test
    void aCommandLineThatNamesACommandBuildsThatCommandAlone() {
        assertThat(Main.named("serve", "--port", "0")).containsExactly(ServeCommand.class);
        assertThat(Main.named("--verbose", "model", "list")).containsExactly(ModelCommand.class);
        assertThat(Main.named("generate-completion")).containsExactly(picocli.AutoComplete.GenerateCompletion.class);
        for (String[] all : new String[][] {{}, {"--help"}, {"help", "serve"}, {"servee"}, {"--version"}}) {
            assertThat(Main.named(all)).as(String.join(" ", all)).isEqualTo(RecopsCommand.SUBCOMMANDS);
        }
        // The root's --verbose still reaches a subcommand added on its own.
        CommandResult verbose = CommandResult.run("--verbose", "serve", "--workers", "many");
        assertThat(verbose.exitCode()).isEqualTo(ExitCodes.USAGE);
        CommandResult inherited = CommandResult.run("serve", "--verbose", "--workers", "many");
        assertThat(inherited.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(inherited.err()).contains("'many' is not an int");
    }

    @Test
    void versionComesFromTheBuild() {
        CommandResult r = CommandResult.run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("recops 0.").contains("Java 25");
    }

    @Test
    void noCommandIsAUsageError() {
        CommandResult r = CommandResult.run();
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Usage: recops").contains("a command is required");
    }

    @Test
    void anUnknownOptionIsOneLineAndExitTwoAndItsValueIsNotCalledAnOption() {
        CommandResult r = CommandResult.run("serve", "--prot", "9");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().lines()).singleElement().asString()
                .isEqualTo("recops: unknown option '--prot'; did you mean '--port'? (see 'recops serve --help')");
        assertThat(CommandResult.run("bench", "--rat", "50").err().strip())
                .isEqualTo("recops: unknown option '--rat'; did you mean '--rate'? (see 'recops bench --help')");
    }

    @Test
    void anUnknownCommandIsCalledOne() {
        CommandResult r = CommandResult.run("frobnicate");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().strip()).isEqualTo("recops: unknown command 'frobnicate' (see 'recops --help')");
        assertThat(CommandResult.run("model", "frobnicate").err().strip())
                .isEqualTo("recops: unknown command 'frobnicate' (see 'recops model --help')");
    }

    @Test
    void aMistypedCommandOrOptionSuggestsTheNearestOnOneLine() {
        CommandResult command = CommandResult.run("servee");
        assertThat(command.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(command.err().lines()).singleElement().asString().contains("'servee'").contains("did you mean 'serve'?");
        CommandResult option = CommandResult.run("serve", "--prot", "9");
        assertThat(option.err().lines()).singleElement().asString().contains("did you mean '--port'");
        CommandResult nothingNear = CommandResult.run("zzzzzz");
        assertThat(nothingNear.err().lines()).singleElement().asString().doesNotContain("did you mean");
    }

    @Test
    void helpIsACommandToo() {
        CommandResult all = CommandResult.run("help");
        assertThat(all.exitCode()).isZero();
        assertThat(all.out()).contains("Usage: recops").contains("serve");
        CommandResult serve = CommandResult.run("help", "serve");
        assertThat(serve.exitCode()).isZero();
        assertThat(serve.out()).contains("Usage: recops serve").contains("--hnsw-ef");
        CommandResult nested = CommandResult.run("help", "model", "promote");
        assertThat(nested.out()).startsWith("Usage: recops model promote");
        CommandResult unknown = CommandResult.run("help", "nope");
        assertThat(unknown.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err().lines()).singleElement().asString().isEqualTo("recops: no command 'nope' (see 'recops help --help')");
    }

    @Test
    void aNonNumericPortIsAUsageError() {
        CommandResult r = CommandResult.run("serve", "--port", "http");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--port");
    }

    @Test
    void aPortOutOfRangeIsAUsageError() {
        CommandResult r = CommandResult.run("serve", "--port", "70000");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("port must be in 0..65535");
    }

    @Test
    void aBatchDelayOverOneSecondIsAUsageError() {
        CommandResult r = CommandResult.run("serve", "--batch-delay", "5s");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("batch delay must be at most 1s");
    }

    @Test
    void aDurationWithoutAUnitIsAUsageError() {
        CommandResult r = CommandResult.run("serve", "--request-timeout", "250");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("'250' is not a duration such as 250ms, 2s or 5m");
    }
}
