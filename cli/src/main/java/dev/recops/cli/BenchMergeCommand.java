package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.load.HlogFiles;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code recops bench merge}: one distribution from interval logs of several runs or machines. */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description = {
            "Merge .hlog interval logs (recops bench --hdr-log) from several runs or machines into one latency distribution.",
            "%nHistograms add exactly: the result is the distribution of every request of every run, not an average of percentiles.",
            ""
        })
final class BenchMergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Interval logs to merge.")
    List<Path> files;

    @Override
    public Integer call() {
        HlogFiles.Merged m = HlogFiles.merge(files);
        Histogram h = m.histogram();
        PrintWriter out = spec.commandLine().getOut();
        double[] ms = {h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3};
        if (output.json()) {
            ObjectNode merged = JsonNodeFactory.instance.objectNode().put("files", m.files()).put("intervals", m.intervals())
                    .put("count", h.getTotalCount());
            ObjectNode latency = merged.putObject("latency_ms");
            String[] names = {"p50", "p90", "p99", "p99_9", "max"};
            for (int i = 0; i < names.length; i++) {
                latency.put(names[i], Math.round(ms[i] * 1000) / 1000.0);
            }
            out.println(merged);
        } else {
            out.printf(Locale.ROOT, "merged %d files, %d intervals, %d requests%n", m.files(), m.intervals(), h.getTotalCount());
            out.printf(Locale.ROOT, "  latency    p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms%n", ms[0], ms[1], ms[2], ms[3], ms[4]);
        }
        out.flush();
        return ExitCodes.OK;
    }
}
