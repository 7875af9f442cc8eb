package dev.recops.cli;

import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.Catalog;
import dev.recops.engine.catalog.CatalogJournal;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/** What serve keeps across restarts: the serving state (primary, rollback target, traffic) and the live catalog journal. */
final class StateOptions {
    @Option(names = "--state-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.state:-${sys:user.home}/.local/state/recops}/serving-state.json",
            description = "Where the primary, the rollback target and the traffic policy are kept across restarts "
                    + "(default: $XDG_STATE_HOME/recops/serving-state.json, else ~/.local/state/recops/...). --primary-version wins over it.")
    Path stateFile;

    @Option(names = "--catalog-journal", paramLabel = "DIR",
            description = "Where live catalog updates (the admin API, recops catalog) are journaled so a restart keeps them "
                    + "(default: catalog-journal/<catalog name>-<hash of its path> beside --state-file). One server per directory.")
    Path catalogJournal;

    @Option(names = "--no-catalog-journal", description = "Keep live catalog updates in memory only: a restart serves the catalog file as it is.")
    boolean noCatalogJournal;

    /**
     * The catalog journal: --catalog-journal, else the default beside the state file. A default
     * directory that another server holds is not an error (the two would share it): this server
     * then keeps its updates in memory, and says so.
     */
    Optional<CatalogJournal> openJournal(Path catalog, PrintWriter err) {
        if (noCatalogJournal) {
            return Optional.empty();
        }
        if (catalogJournal != null) {
            return Optional.of(CatalogJournal.open(catalogJournal));
        }
        Path dir = stateFile.toAbsolutePath().getParent().resolve("catalog-journal")
                .resolve(catalog.getFileName() + "-" + Catalog.fileKey(catalog));
        try {
            return Optional.of(CatalogJournal.open(dir));
        } catch (RecopsException.PreconditionFailed e) {
            err.println("recops: warning: live catalog updates are kept in memory only: " + e.getMessage());
            return Optional.empty();
        }
    }
}
