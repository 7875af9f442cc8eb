package dev.recops.cli;

import dev.recops.engine.catalog.IndexChoice;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.serve.ServeOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** How the engine loads and serves: shared by {@code serve} and by {@code bench --in-process}. */
public final class EngineOptions {
    @Option(names = "--model-repo", paramLabel = "DIR", defaultValue = "${sys:recops.home:-.}/models",
            description = "Model repository: DIR/<model>/<version>/model.json (default: the one shipped).")
    Path modelRepo;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "",
            description = "Model to serve (default: the repository's only model, or search-encoder when it has several).")
    String model;

    @Option(names = "--primary-version", paramLabel = "VERSION", defaultValue = "",
            description = "Version answering requests that name none (default: the highest loaded).")
    String primaryVersion;

    @Option(names = "--catalog", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/catalog/products.csv",
            description = "Product catalog, CSV with a header or JSON Lines (default: the ESCI sample shipped).")
    Path catalog;

    @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = "${sys:recops.cache:-${sys:user.home}/.cache/recops}/embeddings",
            description = "Where catalog embeddings are cached (default: $XDG_CACHE_HOME/recops/embeddings, else ~/.cache/recops/embeddings).")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Always embed the catalog; neither read nor write the cache.")
    boolean noCache;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
            description = "Inference workers (concurrent model calls) per model version (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--batch-max", paramLabel = "N",
            description = "Texts per model call; 1 disables batching (default: the model's serving hint, 16 for the shipped models).")
    Integer batchMax;

    @Option(names = "--batch-delay", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Longest wait for a batch to fill, only under load (several requests queued, no worker idle); 0 never waits "
                    + "(default: the model's serving hint, 2ms for the shipped models).")
    Duration batchDelay;

    @Option(names = "--batch-max-tokens", paramLabel = "N", defaultValue = "256",
            description = "Padded tokens per model call at most (texts x the longest): a batch of long texts runs as several calls, "
                    + "so neither a call's time nor its memory grows with the texts' length beyond it; 0 for no budget "
                    + "(default: ${DEFAULT-VALUE}, where the model's cost per token stops falling).")
    int batchMaxTokens;

    @Option(names = "--queue-capacity", paramLabel = "N", defaultValue = "256",
            description = "Requests that may wait per model version; more are refused at once with 503 (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "Deadline of a request without an X-Request-Timeout-Ms header; past it the answer is 504 (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--query-cache", paramLabel = "SIZE", defaultValue = "64MiB", converter = ByteSizeConverter.class,
            description = "Memory for each version's cache of query vectors (a repeated query skips the queue and the model), such as "
                    + "64MiB or 1GiB; 0 turns it off (default: ${DEFAULT-VALUE}).")
    long queryCache;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "ONNX Runtime threads per model call (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--index", paramLabel = "KIND", defaultValue = "auto",
            description = "Vector index: exact (scan every product), hnsw (Lucene HNSW graph of 8-bit quantized vectors, on disk beside "
                    + "--cache-dir, candidates rescored exactly) or auto (exact below 5,000 products, hnsw from there) (default: ${DEFAULT-VALUE}).")
    String index;

    @Option(names = "--hnsw-m", paramLabel = "N",
            description = "HNSW: neighbours per node (default: 16; 32 from 250,000 products, where 16 cannot reach recall 0.95 in time).")
    Integer hnswM;

    @Option(names = "--hnsw-beam", paramLabel = "N",
            description = "HNSW: candidates considered while building (efConstruction) (default: 100; 200 from 250,000 products).")
    Integer hnswBeam;

    @Option(names = "--hnsw-ef", paramLabel = "N",
            description = "HNSW: candidates a search collects and rescores, at least k; more is slower and finds more (default: 200; 300 from 250,000 products).")
    Integer hnswEf;

    /**
     * This class's options that a load of a server at a URL uses too: it names the model in KServe
     * paths and picks recommendation seeds from the catalog. Every other one shapes only an engine
     * this process runs, and with a URL would be accepted and change nothing (bench --url ...
     * --query-cache 0 reported the server's own cache).
     */
    private static final Set<String> USED_WITH_A_URL = Set.of("--model", "--catalog");

    /** The vector index chosen; bad values are a usage error. */
    IndexChoice indexChoice(CommandSpec spec) {
        try {
            return new IndexChoice(IndexChoice.kindOf(index), given(hnswM), given(hnswBeam), given(hnswEf));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--index, --hnsw-*: " + e.getMessage());
        }
    }

    private static OptionalInt given(Integer value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(value);
    }

    /**
     * For a command about to load a server at {@code url} instead of its own engine.
     *
     * @throws ParameterException naming the first engine-only option given on the command line
     */
    void refuseForServerAt(String url, CommandSpec spec) {
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            // this class's own options, whichever command mixes them in, so a new one is covered too
            if (o.userObject() instanceof Field f && f.getDeclaringClass() == EngineOptions.class
                    && !USED_WITH_A_URL.contains(o.longestName())) {
                throw new ParameterException(spec.commandLine(), o.longestName() + " shapes an engine run in this process, and the server at "
                        + url + " is configured by its own options: set it on that server, or add --in-process");
            }
        }
    }

    /** The engine's options with the given listener address; a bad combination is a usage error. */
    ServeOptions options(String host, int port, CommandSpec spec) {
        try {
            return new ServeOptions(host, port, modelRepo, model.isEmpty() ? ModelRepository.defaultModel(modelRepo) : model,
                    primaryVersion, catalog,
                    noCache ? Optional.empty() : Optional.of(cacheDir), workers, threads,
                    batchMax == null ? OptionalInt.empty() : OptionalInt.of(batchMax), Optional.ofNullable(batchDelay),
                    queueCapacity, requestTimeout, queryCache, batchMaxTokens);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
