package dev.recops.engine.model;

import java.util.List;
import java.util.Objects;

/**
 * One model input or output as declared in a manifest.
 *
 * @param name the tensor name in the ONNX graph
 * @param dtype the KServe v2 data type name, for example {@code INT64} or {@code FP32}
 * @param shape dimensions, {@code -1} for a dynamic one
 */
public record TensorSpec(String name, String dtype, List<Long> shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = List.copyOf(shape);
    }
}
