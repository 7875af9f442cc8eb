package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.drill.JournalDiff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code recops drill compare}: what changed between two runs of an experiment. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Compare two drill journals (recops drill --journal) of the same experiment: status, time to detect (the system's and each source's), RTO, "
                    + "lost requests by kind, error budget, p99, each expectation and each alert's time to alert and to notify.",
            "%nA '!' marks a change for the worse. Exit 0 after printing; 2 when a file is not a journal.",
            ""
        })
final class DrillCompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(index = "0", paramLabel = "A.json", description = "The earlier run's journal.")
    Path a;

    @Parameters(index = "1", paramLabel = "B.json", description = "The later run's journal.")
    Path b;

    @Override
    public Integer call() {
        List<JournalDiff.Row> rows = JournalDiff.compare(read(a), a.toString(), read(b), b.toString());
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            ArrayNode arr = new ObjectMapper().createArrayNode();
            rows.forEach(r -> arr.addObject().put("measure", r.measure().strip()).put("a", r.a()).put("b", r.b()).put("change", r.change())
                    .put("worse", r.worse()));
            out.println(arr.toPrettyString());
        } else {
            JournalDiff.table(rows, a.toString(), b.toString()).forEach(out::println);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", file + " not found");
        } catch (IOException e) {
            throw new RecopsException.InvalidInput("not_a_journal", file + " is not a drill journal: not valid JSON");
        }
    }
}
