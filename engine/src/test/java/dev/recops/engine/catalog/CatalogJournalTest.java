package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The journal keeps live updates across restarts, and never loses or invents one. */
class CatalogJournalTest {
    @TempDir
    Path dir;

    private Catalog file(String... rows) throws Exception {
        Path f = dir.resolve("products.csv");
        Files.writeString(f, "product_id,title,brand,price\n" + String.join("\n", rows) + "\n");
        return CatalogLoader.load(f);
    }

    private static Product product(String id, String title, double price) {
        return new Product(id, title, "Acme", "", Map.of("category", "tools"), price, true);
    }

    private static List<String> ids(Catalog c) {
        return c.products().stream().map(Product::productId).toList();
    }

    @Test
    void updatesAreReplayedInOrderAfterARestart() throws Exception {
        Catalog file = file("A,Hammer,Acme,10", "B,Saw,Acme,20", "C,Drill,Acme,30");
        try (CatalogJournal j = CatalogJournal.open(dir.resolve("journal"))) {
            assertThat(j.recover(file)).isSameAs(file);
            j.append(new CatalogJournal.Change.Upsert(List.of(product("D", "Chisel", 5), product("A", "Hammer", 12))));
            j.append(new CatalogJournal.Change.Delete(List.of("B", "D")));
            j.append(new CatalogJournal.Change.Upsert(List.of(product("D", "Chisel set", 7))));
            assertThat(j.status().changes()).isEqualTo(3);
        }
        try (CatalogJournal j = CatalogJournal.open(dir.resolve("journal"))) {
            Catalog served = j.recover(file);
            assertThat(ids(served)).containsExactly("A", "C", "D");
            assertThat(served.product("A").price()).isEqualTo(12);
            assertThat(served.product("D")).isEqualTo(product("D", "Chisel set", 7));
            assertThat(j.status().changes()).isEqualTo(3);
        }
    }

    @Test
    void aTornLastLineIsDroppedAndACorruptEarlierLineStopsTheStart() throws Exception {
        Catalog file = file("A,Hammer,Acme,10");
        Path journal = dir.resolve("journal");
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            j.recover(file);
            j.append(new CatalogJournal.Change.Upsert(List.of(product("B", "Saw", 20))));
        }
        Path log = journal.resolve("journal-0.jsonl");
        Files.writeString(log, "{\"op\":\"upsert\",\"products\":[{\"product_id\":\"C\",\"ti", StandardOpenOption.APPEND); // a crash mid-write
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            assertThat(ids(j.recover(file))).containsExactly("A", "B");
            j.append(new CatalogJournal.Change.Delete(List.of("A"))); // appended after the cut, not after the torn bytes
        }
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            assertThat(ids(j.recover(file))).containsExactly("B");
        }

        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        lines.addFirst("{\"op\":\"upsert\",\"products\":[{\"product_id\":\"X\"}]}"); // no title: cannot be a product
        Files.write(log, lines);
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            assertThatThrownBy(() -> j.recover(file)).isInstanceOf(RecopsException.PreconditionFailed.class)
                    .hasMessageContaining("line 1").hasMessageContaining("move " + journal);
        }
    }

    @Test
    void compactionWritesTheNextGenerationWhichARestartServes() throws Exception {
        Catalog file = file("A,Hammer,Acme,10", "B,Saw,Acme,20");
        Path journal = dir.resolve("journal");
        Catalog served;
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            served = j.recover(file);
            List<Product> many = new ArrayList<>();
            for (int i = 0; i < 1_200; i++) {
                many.add(product("P" + i, "Tool number " + i, i));
            }
            j.append(new CatalogJournal.Change.Upsert(many));
            served = served.withProducts(many, List.of());
            j.append(new CatalogJournal.Change.Delete(List.of("B")));
            served = served.withProducts(List.of(), List.of("B"));
            assertThat(j.compactIfDue(served)).isTrue();
            assertThat(j.status().generation()).isEqualTo(1);
            assertThat(j.status().changes()).isZero();
            j.append(new CatalogJournal.Change.Upsert(List.of(product("Z", "Level", 3))));
            served = served.withProducts(List.of(product("Z", "Level", 3)), List.of());
        }
        try (var files = Files.list(journal)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList())
                    .contains("CURRENT", "catalog-1.jsonl", "journal-1.jsonl").doesNotContain("journal-0.jsonl");
        }
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            Catalog again = j.recover(file);
            assertThat(again.products()).containsExactlyElementsOf(served.products());
        }
    }

    @Test
    void aChangedCatalogFileWinsAndTheOldUpdatesAreSetAside() throws Exception {
        Catalog file = file("A,Hammer,Acme,10");
        Path journal = dir.resolve("journal");
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            j.recover(file);
            j.append(new CatalogJournal.Change.Upsert(List.of(product("B", "Saw", 20))));
        }
        Catalog newFile = file("A,Hammer,Acme,11", "C,Drill,Acme,30");
        try (CatalogJournal j = CatalogJournal.open(journal)) {
            assertThat(j.recover(newFile)).isSameAs(newFile);
            assertThat(j.status().changes()).isZero();
        }
        try (var files = Files.list(journal)) {
            Path aside = files.filter(f -> f.getFileName().toString().startsWith("superseded-")).findFirst().orElseThrow();
            assertThat(Files.readString(aside.resolve("journal-0.jsonl"))).contains("\"B\"");
        }
    }

    @Test
    void oneServerOwnsADirectory() throws Exception {
        try (CatalogJournal j = CatalogJournal.open(dir.resolve("journal"))) {
            assertThat(j.dir()).isEqualTo(dir.resolve("journal"));
            assertThatThrownBy(() -> CatalogJournal.open(dir.resolve("journal"))).isInstanceOf(RecopsException.PreconditionFailed.class)
                    .hasMessageContaining("another recops serve");
        }
        CatalogJournal.open(dir.resolve("journal")).close(); // released
    }
}
