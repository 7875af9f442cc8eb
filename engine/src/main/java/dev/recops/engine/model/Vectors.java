package dev.recops.engine.model;

/** Arithmetic on embedding vectors, shared by pooling and by callers that combine vectors. */
public final class Vectors {
    private Vectors() {}

    /** Scales {@code v} to unit L2 length in place; a zero vector stays zero. */
    public static void normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return;
        }
        float inv = (float) (1 / Math.sqrt(sum));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
    }
}
