package dev.recops.engine.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A loaded text-embedding model version: tokenizer plus ONNX Runtime session, through DJL.
 *
 * <p>Thread-safe: the tokenizer and the ONNX Runtime session may be used from many threads at
 * once. How many inferences run concurrently is the caller's decision (each uses up to
 * {@code intraOpThreads} cores).
 *
 * <pre>{@code
 * try (TextEncoder encoder = TextEncoder.load(version, 1)) {
 *     float[][] vectors = encoder.embed(List.of("gaming chair", "desk lamp"));
 * }
 * }</pre>
 */
public final class TextEncoder implements Encoder {

    static {
        // Everything is local: never reach for a model hub or DJL's usage tracking.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private static final String ENGINE = "OnnxRuntime";
    private static volatile Thread runtimeInit;

    private final ModelVersion version;
    private final HuggingFaceTokenizer tokenizer;
    private final Model model;
    private final List<String> inputNames;
    private final String outputName;

    /**
     * Starts initialising ONNX Runtime (its native library and environment, through DJL) and the
     * tokenizer's native library on a daemon thread, and returns at once: a process that will load
     * a model calls it first thing, so the half second this takes overlaps whatever it does before
     * the load (parsing options, metrics, the HTTP server). Loading waits for it by itself: DJL's
     * engine registry and the native loaders are synchronized.
     */
    public static void initialiseRuntimeInBackground() {
        runtimeInit = Thread.ofPlatform().daemon().name("recops-runtime-init").start(() -> {
            try {
                Engine.getEngine(ENGINE);
                LibUtils.checkStatus();
            } catch (RuntimeException | LinkageError e) {
                // the load that follows reports it, with its context
            }
        });
    }

    /**
     * Returns once the initialisation {@link #initialiseRuntimeInBackground()} started has ended
     * (at once when none was started). A process that fails before its load calls it before it
     * exits: a native library still loading while the JVM exits can crash it.
     */
    public static void awaitRuntimeInitialisation() throws InterruptedException {
        Thread t = runtimeInit;
        if (t != null) {
            t.join();
        }
    }

    private TextEncoder(ModelVersion version, HuggingFaceTokenizer tokenizer, Model model) {
        this.version = version;
        this.tokenizer = tokenizer;
        this.model = model;
        this.inputNames = version.manifest().inputs().stream().map(TensorSpec::name).toList();
        this.outputName = version.manifest().outputs().getFirst().name();
    }

    /**
     * Verifies checksums, loads tokenizer and model, checks the graph's inputs against the
     * manifest and runs a warm-up that checks the output shape.
     *
     * @param intraOpThreads ONNX Runtime intra-op threads per inference, at least 1
     * @throws RecopsException.VerificationFailed when a checksum, the signature or warm-up fails
     */
    public static TextEncoder load(ModelVersion version, int intraOpThreads) {
        return load(version, intraOpThreads, Map.of());
    }

    /**
     * As {@link #load(ModelVersion, int)}, with further ONNX Runtime session options in DJL's
     * names ({@code optLevel}, {@code memoryPatternOptimization}, {@code cpuArenaAllocator},
     * {@code executionMode}, or a ready {@code sessionOptions} object): how the benchmarks try
     * the runtime's settings.
     */
    public static TextEncoder load(ModelVersion version, int intraOpThreads, Map<String, ?> sessionOptions) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be at least 1");
        }
        version.verifyChecksums();
        HuggingFaceTokenizer tokenizer = loadTokenizer(version);
        Model model = null;
        try {
            model = Model.newInstance(version.id(), Device.cpu(), ENGINE);
            String threads = Integer.toString(intraOpThreads);
            // DJL applies intraOpNumThreads only when interOpNumThreads is present too.
            Map<String, Object> options = new HashMap<>(sessionOptions);
            options.put("interOpNumThreads", "1");
            options.put("intraOpNumThreads", threads);
            model.load(version.dir(), "model", options);
            TextEncoder encoder = new TextEncoder(version, tokenizer, model);
            encoder.checkSignature();
            encoder.warmUp();
            return encoder;
        } catch (IOException | MalformedModelException | EngineException e) {
            closeQuietly(tokenizer, model);
            throw new RecopsException.VerificationFailed(
                    "model_load_failed", "cannot load " + version.dir().resolve(ModelVersion.MODEL_FILE) + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(tokenizer, model);
            throw e;
        }
    }

    private static HuggingFaceTokenizer loadTokenizer(ModelVersion version) {
        // Our own truncation and padding: the shipped tokenizer files disagree (fixed 128 vs none).
        Map<String, String> options = Map.of(
                "padding", "false",
                "truncation", "true",
                "maxLength", Integer.toString(version.manifest().maxTokens()),
                "addSpecialTokens", "true");
        try {
            return HuggingFaceTokenizer.newInstance(version.dir().resolve(ModelVersion.TOKENIZER_FILE), options);
        } catch (IOException | RuntimeException e) {
            throw new RecopsException.VerificationFailed(
                    "tokenizer_load_failed",
                    "cannot load tokenizer " + version.dir().resolve(ModelVersion.TOKENIZER_FILE) + ": " + e.getMessage(), e);
        }
    }

    private void checkSignature() {
        Set<String> actual = new HashSet<>(model.describeInput().keys());
        if (!actual.equals(new HashSet<>(inputNames))) {
            throw new RecopsException.VerificationFailed(
                    "signature_mismatch",
                    version.id() + ": the ONNX graph takes inputs " + actual + " but the manifest declares " + inputNames);
        }
    }

    private void warmUp() {
        float[][] vectors = embed(List.of("recops warm-up query"));
        if (vectors.length != 1 || vectors[0].length != dimension()) {
            throw new RecopsException.VerificationFailed(
                    "warmup_failed", version.id() + ": warm-up produced a vector of the wrong size");
        }
    }

    @Override
    public ModelVersion version() {
        return version;
    }

    @Override
    public int dimension() {
        return version.manifest().dimension();
    }

    /** Tokenizes texts, truncating each to the manifest's {@code max_tokens}, padded to the longest. */
    public TokenizedBatch tokenize(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts");
        }
        Encoding[] encodings = tokenizer.batchEncode(texts);
        List<TokenizedText> tokenized = new ArrayList<>(encodings.length);
        for (Encoding e : encodings) {
            tokenized.add(new TokenizedText(e.getIds(), e.getAttentionMask(), e.getTypeIds()));
        }
        return TokenizedBatch.pad(tokenized);
    }

    @Override
    public TokenizedText tokenizeOne(String text) {
        Encoding e = tokenizer.encode(text);
        return new TokenizedText(e.getIds(), e.getAttentionMask(), e.getTypeIds());
    }

    /**
     * Runs the model on a tokenized batch and pools each row into one vector.
     *
     * @return {@code [batch.size()][dimension()]}, L2-normalised when the manifest says so
     * @throws RecopsException.Failure when ONNX Runtime fails
     */
    @Override
    public float[][] infer(TokenizedBatch batch) {
        try (NDManager manager = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(batch.size(), batch.sequenceLength());
            NDList inputs = new NDList(inputNames.size());
            for (String name : inputNames) {
                long[] data = switch (name) {
                    case "input_ids" -> batch.inputIds();
                    case "attention_mask" -> batch.attentionMask();
                    case "token_type_ids" -> batch.tokenTypeIds();
                    default -> throw new RecopsException.VerificationFailed(
                            "signature_mismatch", version.id() + ": unsupported text-embedding input " + name);
                };
                NDArray array = manager.create(LongBuffer.wrap(data), shape, DataType.INT64);
                array.setName(name);
                inputs.add(array);
            }
            NDList outputs = model.getBlock().forward(new ParameterStore(manager, false), inputs, false);
            NDArray hidden = outputs.get(outputName);
            if (hidden == null) {
                throw new RecopsException.VerificationFailed(
                        "signature_mismatch", version.id() + ": the model has no output " + outputName);
            }
            long[] dims = hidden.getShape().getShape();
            if (dims.length != 3 || dims[0] != batch.size() || dims[2] != dimension()) {
                throw new RecopsException.VerificationFailed(
                        "signature_mismatch",
                        version.id() + ": output " + outputName + " has shape " + hidden.getShape()
                                + ", expected (" + batch.size() + ", seq, " + dimension() + ")");
            }
            return Pooler.pool(hidden.toFloatArray(), batch, (int) dims[1], dimension(),
                    version.manifest().pooling(), version.manifest().normalize());
        } catch (EngineException e) {
            throw new RecopsException.Failure("inference_failed", version.id() + ": inference failed: " + e.getMessage(), e);
        }
    }

    /** Tokenizes and embeds texts in one batch (the tokenizer's own batch encoding). */
    @Override
    public float[][] embed(List<String> texts) {
        return infer(tokenize(texts));
    }

    @Override
    public void close() {
        closeQuietly(tokenizer, model);
    }

    private static void closeQuietly(HuggingFaceTokenizer tokenizer, Model model) {
        if (model != null) {
            model.close();
        }
        tokenizer.close();
    }
}
