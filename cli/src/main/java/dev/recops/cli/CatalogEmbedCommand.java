package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code recops catalog embed}: a catalog's vectors as a batch job, shardable across machines. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed a catalog for serve, as a batch job away from the serving cores: writes the model's vectors in the "
                + "embedding-cache format to --out, appending as it goes, so a job run again after an interruption embeds only "
                + "what is missing. With --shard I/N it embeds only the products of shard I (by a hash of the product id) into "
                + "its own file; run the N shards on N machines, copy their files into serve's --cache-dir, and serve's first "
                + "start builds the index from them without embedding (texts it finds in no file are embedded then). "
                + "Progress and ETA go to standard error.")
final class CatalogEmbedCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(paramLabel = "CATALOG", description = "The catalog serve will load: CSV or JSON Lines, .gz too.")
    Path catalogFile;

    @Option(names = "--out", paramLabel = "DIR",
            defaultValue = "${sys:recops.cache:-${sys:user.home}/.cache/recops}/embeddings",
            description = "Where to write: serve's --cache-dir, or a directory to copy there (default: serve's default cache, "
            + "$XDG_CACHE_HOME/recops/embeddings, else ~/.cache/recops/embeddings).")
    Path out;

    @Option(names = "--model-repo", paramLabel = "DIR", defaultValue = "${sys:recops.home:-.}/models",
            description = "Model repository (default: the one shipped).")
    Path modelRepo;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "",
            description = "Model (default: the repository's only model, or search-encoder).")
    String model;

    @Option(names = "--model-version", paramLabel = "V", defaultValue = "",
            description = "Version to embed with (default: the highest).")
    String modelVersion;

    @Option(names = "--shard", paramLabel = "I/N", defaultValue = "1/1",
            description = "Embed only shard I of N (default: ${DEFAULT-VALUE}, everything).")
    String shard;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime threads per batch (default: every core).")
    int threads;

    @Override
    public Integer call() {
        Matcher m = Pattern.compile("(\\d{1,6})/(\\d{1,6})").matcher(shard);
        if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
            throw new ParameterException(spec.commandLine(), "--shard must be I/N with 1 <= I <= N, not " + shard);
        }
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        int index = Integer.parseInt(m.group(1));
        int count = Integer.parseInt(m.group(2));
        ModelVersion version = ModelRepository.find(modelRepo, model, modelVersion);
        Catalog catalog = CatalogLoader.load(catalogFile);
        long start = System.nanoTime();
        Console console = System.console();
        ProgressLine progress = new ProgressLine(spec.commandLine().getErr(), console != null && console.isTerminal());
        CatalogIndex.ShardReport r;
        try (TextEncoder encoder = TextEncoder.load(version,
                threads == 0 ? Runtime.getRuntime().availableProcessors() : threads)) {
            r = CatalogIndex.embedShard(catalog, encoder, out, index, count,
                    (done, total) -> progress.update(version.id() + ": embedding shard " + shard, "texts", done, total));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        output.print(spec.commandLine().getOut(), JsonNodeFactory.instance.objectNode().put("version", version.id()).put("shard", shard).put("products", r.products())
                .put("texts", r.texts()).put("already_embedded", r.alreadyEmbedded()).put("embedded", r.embedded())
                .put("seconds", seconds).put("texts_per_second", r.embedded() / Math.max(seconds, 1e-9)).put("file", r.file().toString()),
                String.format(Locale.ROOT, "%s: shard %s: %d products, %d texts: %d embedded in %.1f s (%.0f texts/s), %d already "
                        + "in %s", version.id(), shard, r.products(), r.texts(), r.embedded(), seconds, r.embedded() / Math.max(seconds, 1e-9),
                        r.alreadyEmbedded(), r.file()));
        return ExitCodes.OK;
    }
}
