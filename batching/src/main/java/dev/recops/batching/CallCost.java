package dev.recops.batching;

/**
 * The fixed cost of one model call, in padded tokens, learned from measured calls: an
 * exponentially weighted least-squares fit of {@code nanos = fixed + perToken * paddedTokens}.
 *
 * <p>Until the calls seen vary enough in size for a fit, or when the fit is implausible, the
 * default holds: 16 tokens, measured for both shipped int8 encoders on a 2-core x86 machine
 * (bge-small: about 2.7 ms fixed and 0.19 ms per padded token; docs/performance.md).
 * Thread-safe; updated once per model call.
 */
public final class CallCost {
    public static final double DEFAULT_FIXED_TOKENS = 16;
    private static final double DECAY = 0.99;
    private static final double MIN_WEIGHT = 20;
    private static final double MIN_TOKEN_SPREAD = 8;

    private double w;
    private double sx;
    private double sy;
    private double sxx;
    private double sxy;
    private volatile double fixedTokens = DEFAULT_FIXED_TOKENS;

    public double fixedTokens() {
        return fixedTokens;
    }

    public synchronized void record(int paddedTokens, long nanos) {
        w = w * DECAY + 1;
        sx = sx * DECAY + paddedTokens;
        sy = sy * DECAY + nanos;
        sxx = sxx * DECAY + (double) paddedTokens * paddedTokens;
        sxy = sxy * DECAY + (double) paddedTokens * nanos;
        double varX = sxx / w - (sx / w) * (sx / w);
        if (w < MIN_WEIGHT || varX < MIN_TOKEN_SPREAD * MIN_TOKEN_SPREAD) {
            return;
        }
        double slope = (sxy / w - (sx / w) * (sy / w)) / varX;
        double intercept = sy / w - slope * sx / w;
        if (slope > 0 && intercept > 0) {
            fixedTokens = Math.clamp(intercept / slope, 1, 256);
        }
    }
}
