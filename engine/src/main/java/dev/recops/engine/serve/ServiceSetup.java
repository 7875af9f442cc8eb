package dev.recops.engine.serve;

import dev.recops.engine.catalog.CatalogJournal;
import dev.recops.engine.catalog.IndexChoice;

import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link SearchService} is given beside its options, all at construction (as Helidon's builders do):
 * nothing of it changes once it loads.
 *
 * @param stateFile where the primary, the rollback target and the traffic policy are kept
 *     across restarts; empty: they last until the process ends
 * @param searchMode how searches that name no mode retrieve (serve's --search-mode)
 * @param indexChoice which vector index catalogs get (exact, HNSW, or by size)
 * @param trustedKey when present, a version loads only with a manifest signature this key verifies
 * @param journal where live catalog updates are kept, so that a restart serves them (taken over:
 *     closed with the service); empty: they last until the process ends
 */
public record ServiceSetup(Optional<Path> stateFile, Queries.Mode searchMode, IndexChoice indexChoice, Optional<PublicKey> trustedKey,
                    Optional<CatalogJournal> journal) {
    public static final ServiceSetup DEFAULT = new ServiceSetup(Optional.empty(), Queries.Mode.VECTOR, IndexChoice.AUTO, Optional.empty(), Optional.empty());

    public ServiceSetup {
        Objects.requireNonNull(stateFile, "stateFile");
        Objects.requireNonNull(indexChoice, "indexChoice");
        Objects.requireNonNull(trustedKey, "trustedKey");
        Objects.requireNonNull(journal, "journal");
        if (searchMode == null || searchMode == Queries.Mode.DEFAULT) {
            throw new IllegalArgumentException("the default search mode must be a mode");
        }
    }

    public ServiceSetup withStateFile(Path file) {
        return new ServiceSetup(Optional.of(file), searchMode, indexChoice, trustedKey, journal);
    }

    public ServiceSetup withSearchMode(Queries.Mode mode) {
        return new ServiceSetup(stateFile, mode, indexChoice, trustedKey, journal);
    }

    public ServiceSetup withIndexChoice(IndexChoice choice) {
        return new ServiceSetup(stateFile, searchMode, choice, trustedKey, journal);
    }

    public ServiceSetup withTrustedKey(PublicKey key) {
        return new ServiceSetup(stateFile, searchMode, indexChoice, Optional.of(key), journal);
    }

    public ServiceSetup withJournal(CatalogJournal j) {
        return new ServiceSetup(stateFile, searchMode, indexChoice, trustedKey, Optional.of(j));
    }
}
