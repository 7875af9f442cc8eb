package dev.recops.analysis.review;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DriftTest {

    @Test
    void psiAndKsAreZeroForTheSameSampleAndLargeForAShiftedOne() {
        Random r = new Random(1);
        double[] a = new double[5000];
        double[] b = new double[5000];
        double[] shifted = new double[5000];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian() * 10 + 50;
            b[i] = r.nextGaussian() * 10 + 50;
            shifted[i] = r.nextGaussian() * 10 + 60;
        }
        Drift.Feature same = Drift.numeric("x", a, b);
        assertThat(same.psi()).isLessThan(0.02);
        assertThat(same.ks()).isLessThan(0.05);
        Drift.Feature moved = Drift.numeric("x", a, shifted);
        assertThat(moved.psi()).isGreaterThan(0.2);
        assertThat(moved.ks()).isCloseTo(0.38, within(0.05)); // Φ(0.5) - Φ(-0.5) for a one-sigma shift
        assertThat(moved.currentMean() - moved.baselineMean()).isCloseTo(10, within(1.0));
    }

    @Test
    void psiOfKnownShares() {
        // 50/50 -> 90/10: 0.4·ln(0.9/0.5) + (-0.4)·ln(0.1/0.5)
        assertThat(Drift.psi(new double[] {0.5, 0.5}, new double[] {0.9, 0.1})).isCloseTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), within(1e-12));
        assertThat(Drift.ks(new double[] {1, 2, 3}, new double[] {4, 5, 6})).isEqualTo(1.0);
    }
}
