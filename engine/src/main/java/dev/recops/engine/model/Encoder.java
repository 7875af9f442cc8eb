package dev.recops.engine.model;

import java.util.List;

/**
 * Turns texts into vectors for one model version: tokenize on the caller's thread, infer in
 * batches on an inference thread. {@link TextEncoder} runs an ONNX model; tests use fast fakes.
 * Implementations are thread-safe.
 */
public interface Encoder extends AutoCloseable {

    /** Opens the encoder of a version: loads, checks and warms up its model. */
    @FunctionalInterface
    interface Factory {
        /**
         * @throws dev.recops.engine.RecopsException when the version cannot serve
         */
        Encoder open(ModelVersion version, int intraOpThreads);
    }

    /** {@link TextEncoder#load}: the ONNX model through DJL and ONNX Runtime. */
    Factory ONNX = TextEncoder::load;

    ModelVersion version();

    /** The length of every vector this encoder returns. */
    int dimension();

    /** Tokenizes one text, truncated to the manifest's {@code max_tokens}; for batching later. */
    TokenizedText tokenizeOne(String text);

    /**
     * Runs the model on a tokenized batch, one vector per row.
     *
     * @return {@code [batch.size()][dimension()]}
     * @throws dev.recops.engine.RecopsException.Failure when the model fails
     */
    float[][] infer(TokenizedBatch batch);

    /** Tokenizes and embeds texts in one batch. */
    default float[][] embed(List<String> texts) {
        return infer(TokenizedBatch.pad(texts.stream().map(this::tokenizeOne).toList()));
    }

    /** Frees the model; no call may run at the same time or after. */
    @Override
    void close();
}
