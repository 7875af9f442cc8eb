package dev.recops.cli;

import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The man pages (AsciiDoc, in {@code man/}) and the bash completion script are generated from the
 * command classes. This test regenerates them and fails when the committed copies drift; run
 * {@code scripts/update-docs} to refresh them.
 */
class GeneratedDocsTest {
    private static final Path MAN = Path.of(System.getProperty("recops.man"));

    static Map<Path, String> generate() {
        CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        Map<Path, String> files = new LinkedHashMap<>();
        addManPages(root, files);
        files.put(MAN.resolve("recops_completion.bash"), AutoComplete.bash("recops", root));
        return files;
    }

    private static void addManPages(CommandLine cmd, Map<Path, String> files) {
        if (cmd.getCommandSpec().usageMessage().hidden()) {
            return;
        }
        StringWriter page = new StringWriter();
        ManPageGenerator.writeSingleManPage(new PrintWriter(page), cmd.getCommandSpec());
        files.put(MAN.resolve(cmd.getCommandSpec().qualifiedName("-") + ".adoc"), page.toString());
        cmd.getSubcommands().values().forEach(sub -> addManPages(sub, files));
    }

    @Test
    void manPagesAndCompletionMatchTheCommandClasses() throws IOException {
        boolean update = Boolean.getBoolean("recops.updateDocs");
        for (Map.Entry<Path, String> e : generate().entrySet()) {
            if (update) {
                Files.createDirectories(e.getKey().getParent());
                Files.writeString(e.getKey(), e.getValue());
            }
            assertThat(e.getKey()).as("%s is missing; run scripts/update-docs", e.getKey()).exists();
            assertThat(Files.readString(e.getKey()))
                    .as("%s is out of date; run scripts/update-docs", e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
