package dev.recops.engine.serve;

import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogIndex;
import dev.recops.engine.catalog.LexicalIndex;
import dev.recops.engine.model.ModelRepository;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What serves, as one immutable {@link State}: the loaded versions, the primary, the last known
 * good version (the rollback target), the traffic policy and the catalog. A request reads the
 * state once and sees a consistent picture; every change makes a new state under one short lock
 * and saves the serving state file. Nothing slow happens under the lock: versions are loaded and
 * indexes built before they are published here, so promote, rollback and traffic changes take
 * effect at once whatever is loading.
 */
final class VersionRegistry {
    private static final Logger LOG = Logger.getLogger(VersionRegistry.class.getName());
    /**
     * The served catalog and its in-memory lexical index (the degraded path and lexical search of
     * versions without an HNSW index, which holds its own), built when first asked for.
     */
    record CatalogState(Catalog catalog, Supplier<LexicalIndex> lexicalIndex) {
        LexicalIndex lexical() {
            return lexicalIndex.get();
        }
    }

    /**
     * @param versions loaded versions by name
     * @param primary the version answering queries that name none; empty until one is published
     * @param lastKnownGood the rollback target; empty when there is none
     * @param catalog null until the catalog is loaded
     */
    record State(Map<String, ServedVersion> versions, String primary, String lastKnownGood, TrafficPolicy policy,
                 CatalogState catalog) {
        State {
            versions = Map.copyOf(versions);
        }

        /** Loaded version names, oldest first. */
        List<String> names() {
            List<String> names = new ArrayList<>(versions.keySet());
            names.sort(ModelRepository.VERSION_ORDER);
            return names;
        }
    }

    private final String model;
    private final Object lock = new Object();
    private volatile State state = new State(Map.of(), "", "", TrafficPolicy.NONE, null);
    private volatile Optional<Path> stateFile = Optional.empty();
    private volatile Runnable saveFailed = () -> { };
    private boolean closed;

    VersionRegistry(String model) {
        this.model = model;
    }

    State current() {
        return state;
    }

    /** Called each time a change cannot be saved (a metric). */
    void onSaveFailure(Runnable counter) {
        this.saveFailed = counter;
    }

    /** Where the primary, rollback target and policy are saved after each change. */
    void stateFile(Path file) {
        this.stateFile = Optional.of(file);
    }

    Optional<Path> stateFile() {
        return stateFile;
    }

    /** Sets the first catalog; later ones come through {@link #swapCatalog}. */
    void catalog(CatalogState catalog) {
        change(s -> new State(s.versions(), s.primary(), s.lastKnownGood(), s.policy(), catalog));
    }

    /**
     * Adds a loaded version built over {@code builtFor}; the first one published becomes the
     * primary. Refused (false) when the catalog changed meanwhile, so the caller rebuilds its index
     * for the catalog now served, or when the registry closed (the caller frees the version).
     */
    boolean publish(ServedVersion v, Catalog builtFor) {
        synchronized (lock) {
            if (closed || state.catalog() == null || state.catalog().catalog() != builtFor) {
                return false;
            }
            Map<String, ServedVersion> next = new LinkedHashMap<>(state.versions());
            next.put(v.name(), v);
            State s = state;
            state = new State(next, s.primary().isEmpty() ? v.name() : s.primary(), s.lastKnownGood(), s.policy(), s.catalog());
            return true;
        }
    }

    /**
     * Swaps in a new catalog with every loaded version's index for it at once. Refused (false)
     * when a version is loaded that {@code indexes} lacks (it was published meanwhile): build its
     * index too and try again.
     */
    boolean swapCatalog(CatalogState next, Map<String, CatalogIndex> indexes) {
        synchronized (lock) {
            State s = state;
            if (!indexes.keySet().containsAll(s.versions().keySet())) {
                return false;
            }
            Map<String, ServedVersion> versions = new LinkedHashMap<>();
            s.versions().forEach((name, v) -> versions.put(name, v.withIndex(indexes.get(name))));
            state = new State(versions, s.primary(), s.lastKnownGood(), s.policy(), next);
            return true;
        }
    }

    /**
     * Takes a version out of service (not the primary): no request chooses it from now on. The
     * caller then retires it, which waits for the requests that chose it before.
     *
     * @throws RecopsException.Conflict for the primary
     * @throws RecopsException.NotFound when it is not loaded
     */
    ServedVersion remove(String version) {
        synchronized (lock) {
            State s = state;
            if (version.equals(s.primary())) {
                throw new RecopsException.Conflict("version_is_primary", "version " + version + " is the primary; promote another version first");
            }
            ServedVersion v = s.versions().get(version);
            if (v == null) {
                throw new RecopsException.NotFound("version_not_loaded", "version " + version + " is not loaded");
            }
            Map<String, ServedVersion> next = new LinkedHashMap<>(s.versions());
            next.remove(version);
            commit(new State(next, s.primary(), version.equals(s.lastKnownGood()) ? "" : s.lastKnownGood(), s.policy().without(version),
                    s.catalog()));
            return v;
        }
    }

    /**
     * Makes a loaded version the primary; the old primary becomes the rollback target and a
     * promoted canary graduates.
     *
     * @return the previous primary
     */
    String promote(String version) {
        synchronized (lock) {
            State s = state;
            if (!s.versions().containsKey(version)) {
                throw new RecopsException.NotFound("version_not_loaded", "version " + version + " is not loaded; load it first");
            }
            if (!s.primary().equals(version)) {
                commit(new State(s.versions(), version, s.primary(), s.policy().withoutCanary(version), s.catalog()));
            } else {
                persist(s);
            }
            return s.primary();
        }
    }

    /**
     * Back to the last known good version.
     *
     * @return the version now primary
     * @throws RecopsException.Conflict when there is none to return to
     */
    String rollback() {
        synchronized (lock) {
            State s = state;
            String target = s.lastKnownGood();
            if (target.isEmpty() || !s.versions().containsKey(target)) {
                throw new RecopsException.Conflict("no_rollback_target", "there is no last known good version to roll back to");
            }
            commit(new State(s.versions(), target, s.primary(), s.policy().withoutCanary(target), s.catalog()));
            return target;
        }
    }

    /** Sets the traffic policy: its canary and shadow must be loaded, the canary not the primary. */
    void traffic(TrafficPolicy next) {
        synchronized (lock) {
            State s = state;
            for (String v : List.of(next.canaryVersion(), next.shadowVersion())) {
                if (!v.isEmpty() && !s.versions().containsKey(v)) {
                    throw new RecopsException.NotFound("version_not_loaded", "version " + v + " is not loaded; load it first");
                }
            }
            if (next.canaryVersion().equals(s.primary())) {
                throw new RecopsException.Conflict("canary_is_primary", "version " + s.primary() + " is the primary already");
            }
            commit(new State(s.versions(), s.primary(), s.lastKnownGood(), next, s.catalog()));
        }
    }

    /** Takes a canary out of the traffic policy, if it is still the canary. */
    void dropCanary(String version) {
        synchronized (lock) {
            State s = state;
            TrafficPolicy next = s.policy().withoutCanary(version);
            if (next != s.policy()) {
                commitAnyway(new State(s.versions(), s.primary(), s.lastKnownGood(), next, s.catalog()));
            }
        }
    }

    /** Takes back a saved state, as far as the versions it names are loaded. */
    void restore(ServingState saved) {
        synchronized (lock) {
            State s = state;
            String lkg = s.versions().containsKey(saved.lastKnownGood()) && !saved.lastKnownGood().equals(s.primary())
                    ? saved.lastKnownGood() : s.lastKnownGood();
            TrafficPolicy p = saved.policy();
            boolean canaryOk = p.canaryVersion().isEmpty() || s.versions().containsKey(p.canaryVersion()) && !p.canaryVersion().equals(s.primary());
            boolean shadowOk = p.shadowVersion().isEmpty() || s.versions().containsKey(p.shadowVersion());
            commitAnyway(new State(s.versions(), s.primary(), lkg, canaryOk && shadowOk ? p : TrafficPolicy.NONE, s.catalog()));
        }
    }

    /** Refuses every later publication and empties the registry; returns what was loaded, to free. */
    Map<String, ServedVersion> close() {
        synchronized (lock) {
            closed = true;
            Map<String, ServedVersion> was = state.versions();
            state = new State(Map.of(), "", "", TrafficPolicy.NONE, state.catalog());
            return was;
        }
    }

    private void change(UnaryOperator<State> f) {
        synchronized (lock) {
            state = f.apply(state);
        }
    }

    /**
     * An operator's change (unload, promote, rollback, traffic): saved first, so that a change the
     * next start would not know is never reported done.
     *
     * @throws RecopsException.Failure when it cannot be saved; nothing changed then
     */
    private void commit(State next) {
        persist(next);
        state = next;
    }

    /** A change the server makes by itself (a failing canary dropped, the saved state restored): made even when it cannot be saved. */
    private void commitAnyway(State next) {
        state = next;
        try {
            persist(next);
        } catch (RecopsException.Failure e) {
            LOG.log(Level.WARNING, e.getMessage());
        }
    }

    private void persist(State s) {
        Path f = stateFile.orElse(null);
        if (f == null) {
            return;
        }
        try {
            new ServingState(model, s.primary(), s.lastKnownGood(), s.policy()).write(f);
        } catch (UncheckedIOException e) {
            saveFailed.run();
            throw new RecopsException.Failure("state_not_saved", e.getMessage() + "; nothing was changed", e);
        }
    }
}
