/**
 * Serving: {@link dev.recops.engine.serve.SearchService} answers search, recommend and embed
 * queries over loaded model versions without any HTTP; {@link dev.recops.engine.serve.ServeServer}
 * exposes it over HTTP (Helidon SE, virtual threads) with JSON errors, health and metrics.
 *
 * <p>Inference runs on a small pool of platform threads, never on request (virtual) threads: a
 * native ONNX Runtime call pins its carrier thread, and two pinned carriers on a 2-core machine
 * would stall every connection.
 */
package dev.recops.engine.serve;
