package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.CatalogLoader;
import dev.recops.engine.model.ManifestSignature;
import dev.recops.engine.model.ModelManifest;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.serve.Queries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recops model verify}: everything serve checks before a version may take traffic, as a CI gate.
 *
 * <p>It orchestrates those checks (signature, checksums, graph, warm-up latency, nDCG) in serve's
 * order, stopping at the first that fails, so that its verdict is serve's.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Verify a model version directory before deployment: manifest, checksums, ONNX load, input/output signature and "
                    + "warm-up latency; with --judgments, nDCG@10 on judged queries against --min-ndcg. Exit 3 when a check fails.",
            ""
        })
final class ModelVerifyCommand implements Callable<Integer> {
    private static final int LATENCY_RUNS = 30;

    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Parameters(paramLabel = "DIR", description = "A version directory: DIR/model.json, model.onnx, tokenizer.json.")
    Path dir;

    @Option(names = "--judgments", paramLabel = "QRELS.csv", description = "Relevance judgments: query_id, product_id, gain.")
    Path judgments;

    @Option(names = "--queries", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/queries/esci.csv",
            description = "Judged queries, CSV with query_id and query (default: the ESCI queries shipped).")
    Path queries;

    @Option(names = "--catalog", paramLabel = "FILE", defaultValue = "${sys:recops.home:-.}/catalog/products.csv",
            description = "The products the judgments refer to (default: the ESCI sample shipped).")
    Path catalog;

    @Option(names = "--trusted-key", paramLabel = "FILE", description = "Also require an Ed25519 signature of model.json by this PEM public key.")
    Path trustedKey;

    @Option(names = "--min-ndcg", paramLabel = "X", defaultValue = "0.8", description = "Lowest acceptable nDCG@10 (default: ${DEFAULT-VALUE}).")
    double minNdcg;

    @Option(names = "--search-mode", paramLabel = "MODE", defaultValue = "vector",
            description = "With --judgments, how the judged queries retrieve: vector, lexical, hybrid (reciprocal rank fusion), "
                    + "hybrid-weighted, or all to report each (the first, vector, is judged against --min-ndcg) (default: ${DEFAULT-VALUE}).")
    String searchMode;

    @Override
    public Integer call() {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new RecopsException.PreconditionFailed("not_a_directory", dir + " is not a directory");
        }
        ModelManifest manifest = ModelManifest.read(abs);
        String name = abs.getParent() == null ? "model" : abs.getParent().getFileName().toString();
        ModelVersion version = new ModelVersion(name, abs.getFileName().toString(), abs, manifest);
        ObjectNode report = new ObjectMapper().createObjectNode().put("version", version.id()).put("dir", abs.toString());
        boolean ok;
        if (trustedKey != null) {
            try {
                ManifestSignature.verify(abs, ManifestSignature.readPublicKey(trustedKey));
                report.put("manifest_signature", "ok");
            } catch (RecopsException.VerificationFailed e) {
                report.put("manifest_signature", "failed").put("error", e.getMessage()).put("ok", false);
                return finish(report, version, false);
            }
        } else {
            // Without a trusted key nothing is verified: say whether the version is signed at all.
            report.put("manifest_signature", Files.exists(abs.resolve(ManifestSignature.SIGNATURE_FILE))
                    ? "present, not verified (no --trusted-key)" : "unsigned");
        }
        try (TextEncoder encoder = TextEncoder.load(version, 1)) { // checksums, graph signature, warm-up
            report.put("checksums", "ok").put("graph_inputs_outputs", "ok").put("dimension", encoder.dimension());
            double[] ms = new double[LATENCY_RUNS];
            for (int i = 0; i < LATENCY_RUNS; i++) {
                long t0 = System.nanoTime();
                encoder.embed(List.of("ergonomic office chair with lumbar support"));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            report.put("warmup_p50_ms", round(ms[LATENCY_RUNS / 2])).put("warmup_max_ms", round(ms[LATENCY_RUNS - 1]));
            ok = true;
            if (judgments != null) {
                List<String> modes = searchMode.equals("all") ? List.of("vector", "lexical", "hybrid", "hybrid-weighted") : List.of(searchMode);
                for (String m : modes) {
                    try {
                        Queries.Mode.of(m);
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(spec.commandLine(), "--search-mode: " + e.getMessage() + " (or all)");
                    }
                }
                Map<String, Double> byMode = VersionRelevance.ndcgAt10(encoder, CatalogLoader.load(catalog), queries, judgments, modes);
                double ndcg = byMode.values().iterator().next();
                ok = ndcg >= minNdcg;
                report.put("ndcg_at_10", round(ndcg)).put("min_ndcg", minNdcg);
                if (byMode.size() > 1) {
                    byMode.forEach((mode, v) -> report.put("ndcg_at_10_" + mode.replace('-', '_'), round(v)));
                }
            }
        } catch (RecopsException.VerificationFailed e) {
            report.put("error", e.getMessage());
            ok = false;
        }
        return finish(report, version, ok);
    }

    private int finish(ObjectNode report, ModelVersion version, boolean ok) {
        PrintWriter out = spec.commandLine().getOut();
        report.put("ok", ok);
        if (output.json()) {
            out.println(report.toPrettyString());
        } else {
            out.println(version.id() + ": " + (ok ? "OK" : "FAILED"));
            for (Map.Entry<String, JsonNode> e : report.properties()) {
                if (!List.of("version", "ok").contains(e.getKey())) {
                    out.println("  " + e.getKey().replace('_', ' ') + ": " + e.getValue().asText());
                }
            }
        }
        out.flush();
        return ok ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
