package dev.recops.engine.serve;

import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;

import java.time.Duration;

/**
 * What happens while a server loads, for whoever presents it (a terminal, a log). Called on the
 * loading thread; implementations must be quick. Every method has a no-op default.
 */
public interface ServeListener {
    ServeListener NONE = new ServeListener() {};

    default void catalogLoaded(Catalog catalog) {}

    default void versionRejected(ModelRepository.Rejected rejected) {}

    default void versionLoading(ModelVersion version) {}

    /** Catalog embedding progress of one version; not called when embeddings come from cache. */
    default void embedding(ModelVersion version, int done, int total) {}

    /** HNSW index building progress of one version (products added to the graph); not called when a persisted index is opened. */
    default void indexing(ModelVersion version, int done, int total) {}

    /** A step of building the HNSW index after its products are added (the final merge). */
    default void indexingStep(ModelVersion version, String what) {}

    default void versionLoaded(ModelVersion version, Duration took, boolean embeddingsFromCache) {}

    default void versionFailed(ModelVersion version, String reason) {}
}
