/**
 * The recops engine: everything that runs. Model repository and inference ({@code model}),
 * catalog and vector index ({@code catalog}), the HTTP server ({@code serve}) and telemetry
 * ({@code telemetry}).
 *
 * <p>The engine never depends on picocli or renders for a terminal: the command line lives in
 * the {@code cli} module, which calls into the engine and renders what it returns. Failures
 * cross the boundary as {@link dev.recops.engine.RecopsException}, a sealed hierarchy that the
 * CLI maps to exit codes and the server maps to HTTP statuses, each with one exhaustive switch.
 */
package dev.recops.engine;
