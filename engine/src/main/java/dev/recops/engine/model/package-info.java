/**
 * The model repository and inference: reading and validating {@code model.json} manifests,
 * verifying file checksums, loading an ONNX model through DJL's ONNX Runtime engine with a
 * HuggingFace tokenizer, and turning texts into pooled, normalised embeddings.
 *
 * <p>Owns nothing about HTTP, batching policy or catalogs: callers hand it texts and get vectors.
 */
package dev.recops.engine.model;
