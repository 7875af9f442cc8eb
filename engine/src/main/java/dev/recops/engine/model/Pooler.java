package dev.recops.engine.model;

/** Pools a {@code [batch, seq, dim]} hidden-state tensor into one vector per text. */
final class Pooler {
    private Pooler() {}

    /**
     * @param hidden row-major {@code [batch.size()][seq][dim]}
     * @param seq the sequence length of {@code hidden} (equals the batch's padded length)
     */
    static float[][] pool(float[] hidden, TokenizedBatch batch, int seq, int dim, Pooling pooling, boolean normalize) {
        float[][] out = new float[batch.size()][dim];
        for (int b = 0; b < batch.size(); b++) {
            float[] v = out[b];
            int base = b * seq * dim;
            switch (pooling) {
                case CLS -> System.arraycopy(hidden, base, v, 0, dim);
                case MEAN -> {
                    long[] mask = batch.attentionMask();
                    int tokens = 0;
                    for (int t = 0; t < seq; t++) {
                        if (mask[b * batch.sequenceLength() + t] == 0) {
                            continue;
                        }
                        tokens++;
                        int off = base + t * dim;
                        for (int d = 0; d < dim; d++) {
                            v[d] += hidden[off + d];
                        }
                    }
                    float inv = 1f / Math.max(tokens, 1);
                    for (int d = 0; d < dim; d++) {
                        v[d] *= inv;
                    }
                }
            }
            if (normalize) {
                Vectors.normalize(v);
            }
        }
        return out;
    }
}
