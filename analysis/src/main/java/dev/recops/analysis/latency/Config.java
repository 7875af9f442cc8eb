package dev.recops.analysis.latency;

import java.io.Serializable;
import java.util.Locale;

/**
 * How one replica serves: the settings a latency model generalises over. Rows measured under the
 * same configuration form one group in cross-validation, so a configuration is never both
 * learned and judged.
 *
 * @param model the model served ("" when the data does not say)
 * @param version the primary version served ("" when the data does not say)
 * @param batchDelayMillis longest wait for a batch to fill
 * @param workers concurrent model calls
 * @param threads ONNX Runtime threads per model call
 */
public record Config(String model, String version, int batchMax, double batchDelayMillis, int workers, int threads) implements Serializable {

    public String describe() {
        return String.format(Locale.ROOT, "batch-max %d, batch-delay %sms, workers %d, threads %d", batchMax, Num.format(batchDelayMillis),
                workers, threads);
    }
}
