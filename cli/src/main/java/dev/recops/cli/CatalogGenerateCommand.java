package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.CatalogGenerator;
import dev.recops.engine.catalog.CatalogLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code recops catalog generate}: a synthetic catalog recombined from a real one, for scale tests. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write a synthetic catalog of N products (JSON Lines) for scale tests, recombined from a real catalog: "
                + "each title joins the start of one real title to the end of another; brand, colour, price and stock are drawn "
                + "from the real ones; a 'group' attribute of 100 values gives a 1%% filter. Deterministic for a seed. "
                + "The products are not real: judge quality on real judgments, speed and recall on these.")
final class CatalogGenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(paramLabel = "N", description = "Products to write.")
    int n;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write (JSON Lines).")
    Path out;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--from", paramLabel = "CATALOG", defaultValue = "${sys:recops.home:-.}/catalog/products.csv",
            description = "The real catalog to recombine (default: the ESCI sample shipped).")
    Path from;

    @Override
    public Integer call() {
        if (n < 1 || n > 100_000_000) {
            throw new ParameterException(spec.commandLine(), "N must be in 1..100000000");
        }
        long start = System.nanoTime();
        try (Writer w = Files.newBufferedWriter(out)) {
            new CatalogGenerator(CatalogLoader.load(from)).write(seed, n, w);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("file_unwritable", "cannot write " + out + ": " + e.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        output.print(spec.commandLine().getOut(), JsonNodeFactory.instance.objectNode().put("products", n).put("file", out.toString()).put("seed", seed)
                .put("seconds", seconds), String.format(Locale.ROOT, "wrote %d synthetic products to %s in %.1f s (seed %d)", n, out,
                seconds, seed));
        return ExitCodes.OK;
    }
}
