package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.model.ModelImport;
import dev.recops.engine.model.Pooling;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/** {@code recops model import}: a version from the user's own ONNX export, manifest written and verified. */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Create a model version from a sentence-embedding ONNX export: SRC is an ONNX file (with its tokenizer.json as "
                    + "TOKENIZER, or beside it), or a directory as Hugging Face exporters write it (model.onnx or onnx/model.onnx, "
                    + "tokenizer.json, config.json, 1_Pooling/config.json, modules.json). The graph's inputs and outputs come from "
                    + "ONNX Runtime, the dimension from a test inference; pooling, normalisation and the token limit from the files "
                    + "where they say so (the options override). Writes model.json with every file's SHA-256, verifies the version as "
                    + "'model verify' does, and only then moves it into the repository as REPO/NAME/VERSION.",
            "%nExit 2 for a source that cannot become a version (not ONNX, no tokenizer, outputs that cannot be pooled, a "
                    + "version that exists); nothing is left in the repository then.",
            ""
        })
final class ModelImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(index = "0", paramLabel = "SRC", description = "An ONNX file, or a directory holding a Hugging Face export.")
    Path source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TOKENIZER", description = "The tokenizer.json, when SRC is a file elsewhere.")
    Path tokenizer;

    @Option(names = "--repo", paramLabel = "DIR", required = true, description = "The model repository to add the version to.")
    Path repository;

    @Option(names = "--name", paramLabel = "NAME", required = true, description = "The model's name in the repository (serve --model).")
    String name;

    @Option(names = "--model-version", paramLabel = "V", description = "The version to create (default: the next free number).")
    String version;

    @Option(names = "--pooling", paramLabel = "KIND", description = "Token pooling: ${COMPLETION-CANDIDATES} (default: what "
            + "1_Pooling/config.json says, else mean).", converter = PoolingConverter.class, completionCandidates = PoolingConverter.Names.class)
    Pooling pooling;

    @Option(names = "--normalize", negatable = true, description = "L2-normalise the vectors (default: what modules.json says, else yes).")
    Boolean normalize;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Truncate texts to N tokens (default: what the tokenizer or config says, else 512).")
    Integer maxTokens;

    @Option(names = "--query-prefix", paramLabel = "TEXT", defaultValue = "",
            description = "Put before every search query, as e5 and some BGE models expect (e5: 'query: ').")
    String queryPrefix;

    @Option(names = "--document-prefix", paramLabel = "TEXT", defaultValue = "",
            description = "Put before every product's text when the catalog is embedded (e5: 'passage: ').")
    String documentPrefix;

    @Option(names = "--licence", paramLabel = "SPDX", defaultValue = "unknown", description = "The weights' licence, recorded in model.json "
            + "(default: ${DEFAULT-VALUE}).")
    String licence;

    @Override
    public Integer call() {
        if (maxTokens != null && (maxTokens < 2 || maxTokens > 8_192)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-tokens must be in 2..8192");
        }
        ModelImport.Result r = ModelImport.run(new ModelImport.Request(source, Optional.ofNullable(tokenizer), repository, name,
                Optional.ofNullable(version), Optional.ofNullable(pooling), Optional.ofNullable(normalize),
                maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens), queryPrefix, documentPrefix, licence));
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            ObjectNode n = new ObjectMapper().createObjectNode().put("model", r.version().name()).put("version", r.version().version())
                    .put("dir", r.version().dir().toString());
            r.decisions().forEach(n.putArray("decisions")::add);
            out.println(n.toPrettyString());
        } else {
            out.println("imported " + r.version().id() + " into " + r.version().dir());
            r.decisions().forEach(d -> out.println("  " + d));
            out.println("serve it: recops serve --model-repo " + repository + " --model " + name);
        }
        return ExitCodes.OK;
    }

    /** {@code mean} or {@code cls}, as in model.json. */
    static final class PoolingConverter implements CommandLine.ITypeConverter<Pooling> {
        @Override
        public Pooling convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "mean" -> Pooling.MEAN;
                case "cls" -> Pooling.CLS;
                default -> throw new CommandLine.TypeConversionException("pooling is mean or cls, not " + value);
            };
        }

        static final class Names extends ArrayList<String> {
            private static final long serialVersionUID = 1L;

            Names() {
                super(List.of("mean", "cls"));
            }
        }
    }
}
