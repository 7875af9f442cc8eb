import ai.onnxruntime.OrtSession;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ONNX Runtime's session options, each measured against serve's setting in one run, rounds
 * alternating (the machine is shared and noisy): the time to open a session, one text's call
 * time on a session running alone (the 1-client case), and texts per second of two sessions of
 * one thread each in calls of 8 sorted by length (saturation). WANDS queries, tokenized
 * beforehand. The variant "optimized-file" opens a model ONNX Runtime saved after its own
 * optimisation, with optimisation off (what caching the optimised model on disk would buy).
 *
 * Usage: java --enable-native-access=ALL-UNNAMED -cp 'cli/target/recops/lib/*' scripts/bench/SessionOptions.java MODEL_REPO QUERIES.csv [SECONDS] [ROUNDS] [VERSION]
 * (a multi-file source program: it runs ModelAlone.java's measuring loop from the same directory)
 */
public class SessionOptions {
    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args[0]);
        List<String> queries = dev.recops.engine.load.QueryFile.read(Path.of(args[1]));
        long nanos = (long) (Double.parseDouble(args.length > 2 ? args[2] : "8") * 1e9);
        int rounds = Integer.parseInt(args.length > 3 ? args[3] : "3");
        String versionName = args.length > 4 ? args[4] : "2";
        ModelVersion version = new ModelRepository(repo).scan().versionsOf("search-encoder").stream()
                .filter(v -> v.version().equals(versionName)).findFirst().orElseThrow();

        Path optimized = Files.createTempDirectory("recops-ort-opt").resolve("model.optimized.onnx");
        try (OrtSession.SessionOptions save = new OrtSession.SessionOptions()) {
            save.setOptimizedModelFilePath(optimized.toString());
            TextEncoder.load(version, 1, Map.of("sessionOptions", save)).close();
        }
        Map<String, java.util.function.Supplier<Map<String, ?>>> variants = new LinkedHashMap<>();
        variants.put("serve (defaults)", Map::of);
        variants.put("optLevel=EXTENDED_OPT", () -> Map.of("optLevel", "EXTENDED_OPT"));
        variants.put("optLevel=BASIC_OPT", () -> Map.of("optLevel", "BASIC_OPT"));
        variants.put("memoryPattern=false", () -> Map.of("memoryPatternOptimization", "false"));
        variants.put("cpuArena=false", () -> Map.of("cpuArenaAllocator", "false"));
        variants.put("executionMode=PARALLEL", () -> Map.of("executionMode", "PARALLEL"));

        TextEncoder tokenizer = TextEncoder.load(version, 1);
        List<TokenizedText> texts = queries.stream().map(tokenizer::tokenizeOne).toList();
        tokenizer.close();
        System.out.printf(Locale.ROOT, "%d CPUs, %d queries, %s; optimised model saved to %s (%d bytes, original %d)%n",
                Runtime.getRuntime().availableProcessors(), texts.size(), version.id(), optimized, Files.size(optimized),
                Files.size(version.dir().resolve(ModelVersion.MODEL_FILE)));
        for (int r = 1; r <= rounds; r++) {
            for (var e : variants.entrySet()) {
                report(r, e.getKey(), version, e.getValue().get(), texts, nanos, null);
            }
            report(r, "optimized-file", version, Map.of("optLevel", "NO_OPT"), texts, nanos, optimized);
        }
    }

    private static void report(int round, String name, ModelVersion version, Map<String, ?> options, List<TokenizedText> texts,
                               long nanos, Path optimizedFile) throws Exception {
        ModelVersion v = optimizedFile == null ? version : copyWithModel(version, optimizedFile);
        long t0 = System.nanoTime();
        TextEncoder a = TextEncoder.load(v, 1, options);
        double openMs = (System.nanoTime() - t0) / 1e6;
        TextEncoder b = TextEncoder.load(v, 1, options);
        double[] single = new double[400];
        for (int i = -100; i < single.length; i++) {
            TokenizedBatch one = TokenizedBatch.pad(List.of(texts.get((i + 100) % texts.size())));
            long s = System.nanoTime();
            a.infer(one);
            if (i >= 0) {
                single[i] = (System.nanoTime() - s) / 1e6;
            }
        }
        Arrays.sort(single);
        double rate = ModelAlone.measure(List.of(a, b), texts, 8, nanos); // the same loop as the model-alone ceiling
        a.close();
        b.close();
        System.out.printf(Locale.ROOT, "RESULT round=%d variant=%-24s open_ms=%7.1f one_text_p50_ms=%.3f texts_per_s=%.1f%n",
                round, name, openMs, single[single.length / 2], rate);
    }

    /** A copy of the version's directory whose model.onnx is the given file, its checksum in the copy's model.json. */
    private static ModelVersion copyWithModel(ModelVersion version, Path model) throws Exception {
        Path root = Files.createTempDirectory("recops-ort-variant");
        Path dir = root.resolve(version.name()).resolve(version.version());
        Files.createDirectories(dir);
        try (var files = Files.list(version.dir())) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Files.copy(model, dir.resolve(ModelVersion.MODEL_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String digest = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(model)));
        Path json = dir.resolve("model.json");
        Files.writeString(json, Files.readString(json).replace(version.manifest().sha256().get(ModelVersion.MODEL_FILE), digest));
        return new ModelRepository(root).scan().versionsOf(version.name()).getFirst();
    }
}
