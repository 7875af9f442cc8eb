package dev.recops.engine.serve;

import dev.recops.engine.model.Encoder;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;
import dev.recops.engine.model.Vectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fast stand-in for a model: one token per word (a hash of it), a vector that is the normalised
 * sum of one pseudo-random direction per token. Texts that share words are near, as with a real
 * encoder, in microseconds. A {@link Gate} can hold a version's loading or its inference until
 * the test releases it, so rollout tests can act while a version is provably still loading.
 */
final class FakeEncoder implements Encoder {
    private final ModelVersion version;
    private final Gate gate;

    private FakeEncoder(ModelVersion version, Gate gate) {
        this.version = version;
        this.gate = gate;
    }

    /** Opens fake encoders; {@code gate} holds the versions it names. */
    static Encoder.Factory factory(Gate gate) {
        return (version, threads) -> new FakeEncoder(version, gate);
    }

    /** Holds the inference of the versions it is armed for until released; counts who waits. */
    static final class Gate {
        private volatile String version = "";
        private volatile CountDownLatch entered = new CountDownLatch(1);
        private volatile CountDownLatch released = new CountDownLatch(0);

        /** From now on, inference of {@code v} (its loading too: embedding the catalog) waits for {@link #release()}. */
        void arm(String v) {
            entered = new CountDownLatch(1);
            released = new CountDownLatch(1);
            version = v;
        }

        /** Waits until an inference of the armed version is held. */
        void awaitEntered() throws InterruptedException {
            if (!entered.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("nothing reached the gate of version " + version);
            }
        }

        void release() {
            version = "";
            released.countDown();
        }

        void pass(String v) {
            if (v.equals(version)) {
                entered.countDown();
                try {
                    released.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** A model repository with versions {@code names} of {@code search-encoder}: manifests of the real default, files empty. */
    static Path repository(Path dir, Path realModels, String... names) {
        try {
            for (String name : names) {
                Path v = Files.createDirectories(dir.resolve("search-encoder").resolve(name));
                Files.copy(realModels.resolve("search-encoder/2/model.json"), v.resolve("model.json"));
                Files.writeString(v.resolve(ModelVersion.MODEL_FILE), "");
                Files.writeString(v.resolve(ModelVersion.TOKENIZER_FILE), "");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    @Override
    public TokenizedText tokenizeOne(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+");
        long[] ids = new long[Math.max(1, words.length)];
        for (int i = 0; i < words.length; i++) {
            ids[i] = words[i].hashCode() & 0x7fffffffL;
        }
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1);
        return new TokenizedText(ids, mask, new long[ids.length]);
    }

    @Override
    public float[][] infer(TokenizedBatch batch) {
        gate.pass(version.version());
        int dim = dimension();
        float[][] out = new float[batch.size()][dim];
        for (int row = 0; row < batch.size(); row++) {
            for (int t = 0; t < batch.sequenceLength(); t++) {
                int at = row * batch.sequenceLength() + t;
                if (batch.attentionMask()[at] == 0) {
                    continue;
                }
                java.util.SplittableRandom r = new java.util.SplittableRandom(batch.inputIds()[at]);
                for (int d = 0; d < dim; d++) {
                    out[row][d] += (float) r.nextGaussian();
                }
            }
            Vectors.normalize(out[row]);
        }
        return out;
    }

    @Override
    public void close() {
        // nothing native to free
    }
}
