package dev.recops.batching;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CallCostTest {

    @Test
    void theDefaultHoldsUntilCallsVaryInSize() {
        CallCost cost = new CallCost();
        for (int i = 0; i < 100; i++) {
            cost.record(8, 4_000_000);
        }
        assertThat(cost.fixedTokens()).isEqualTo(CallCost.DEFAULT_FIXED_TOKENS);
    }

    @Test
    void learnsTheFixedCostFromNoisyCalls() {
        // 3 ms per call plus 0.1 ms per padded token: 30 tokens fixed.
        CallCost cost = new CallCost();
        Random random = new Random(7);
        for (int i = 0; i < 500; i++) {
            int tokens = 6 + random.nextInt(200);
            double noise = 1 + 0.05 * random.nextGaussian();
            cost.record(tokens, (long) ((3_000_000 + 100_000.0 * tokens) * noise));
        }
        assertThat(cost.fixedTokens()).isCloseTo(30, within(5.0));
    }

    @Test
    void anImplausibleFitIsIgnored() {
        CallCost cost = new CallCost();
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            int tokens = 6 + random.nextInt(200);
            cost.record(tokens, 10_000_000L - 10_000L * tokens); // larger calls faster: a broken clock, not a model
        }
        assertThat(cost.fixedTokens()).isEqualTo(CallCost.DEFAULT_FIXED_TOKENS);
    }
}
