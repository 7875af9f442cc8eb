package dev.recops.engine.catalog;

import dev.recops.engine.RecopsException;
import dev.recops.engine.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogLoaderTest {
    @TempDir
    Path dir;

    @Test
    void loadsTheRealEsciCatalogWithQuotedMultiLineFields() {
        Catalog catalog = CatalogLoader.load(TestData.esciProducts());
        assertThat(catalog.size()).isEqualTo(485);
        assertThat(catalog.rejectedRows()).isEmpty();
        assertThat(catalog.products().getFirst().productId()).isEqualTo("0062502891");
        assertThat(catalog.products().getFirst().title()).isEqualTo("The Chalice and the Blade: Our History, Our Future");
        assertThat(catalog.contentHash()).hasSize(64);
    }

    @Test
    void reportsBadCsvRowsWithTheirLineNumbersAndKeepsTheGoodOnes() throws IOException {
        Path csv = write("bad.csv", """
                product_id,title,brand
                A1,Good chair,Acme
                ,No id,Acme
                A2,,Acme
                A1,Duplicate id,Acme
                A3,Too,many,fields
                "A4","Second good
                one, two lines",Acme
                """);
        Catalog catalog = CatalogLoader.load(csv);
        assertThat(catalog.products()).extracting(Product::productId).containsExactly("A1", "A4");
        assertThat(catalog.rejectedRows()).extracting(Catalog.RejectedRow::line).containsExactly(3, 4, 5, 6);
        assertThat(catalog.rejectedRows().get(0).reason()).contains("product_id");
        assertThat(catalog.rejectedRows().get(1).reason()).contains("title");
        assertThat(catalog.rejectedRows().get(2).reason()).contains("duplicate");
    }

    @Test
    void readsGzipCompressedCatalogsAndRefusesATruncatedOne() throws IOException {
        byte[] plain = Files.readAllBytes(TestData.esciProducts());
        Path gz = dir.resolve("products.csv.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(plain);
        }
        Catalog catalog = CatalogLoader.load(gz);
        assertThat(catalog.products()).isEqualTo(CatalogLoader.load(TestData.esciProducts()).products());

        byte[] whole = Files.readAllBytes(gz);
        Path torn = dir.resolve("torn.jsonl.gz");
        Files.write(torn, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> CatalogLoader.load(torn)).isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("not a complete gzip file");
    }

    @Test
    void largeJsonLinesFilesParseInParallelYetReportLinesAndDuplicatesInFileOrder() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 10_000; i++) {
            String id = i == 9_000 ? "P5" : "P" + i; // line 9,000 repeats line 5's id
            b.append(i == 7_001 ? "{\"product_id\": \"P7001\", \"title\": \"cut off\"" // no closing brace
                    : "{\"product_id\": \"" + id + "\", \"title\": \"Lamp " + i + "\", \"brand\": \"Lumo\", \"price\": 10.50, "
                            + "\"size\": 2.50, \"tags\": [\"a\", {\"b\": 1}]}").append('\n');
        }
        Catalog catalog = CatalogLoader.load(write("big.jsonl", b.toString()));
        assertThat(catalog.size()).isEqualTo(9_998);
        assertThat(catalog.rejectedRows()).extracting(Catalog.RejectedRow::line).containsExactly(7_001, 9_000);
        assertThat(catalog.rejectedRows().get(0).reason()).contains("not valid JSON");
        assertThat(catalog.rejectedRows().get(1).reason()).contains("duplicate product_id P5");
        assertThat(catalog.products().get(4).title()).isEqualTo("Lamp 5");
        assertThat(catalog.products().getLast().productId()).isEqualTo("P10000");
        Product p = catalog.products().getFirst();
        assertThat(p.price()).isEqualTo(10.5);
        assertThat(p.attributes()).containsExactly(java.util.Map.entry("size", "2.5")); // as Jackson's tree writes a number; arrays skipped
        assertThat(catalog.products().get(1).brand()).isSameAs(p.brand()); // one copy of a repeated brand
    }

    @Test
    void aSnapshotOfTheParsedCatalogIsReadWhileTheFileIsUnchangedAndIgnoredOnceItChanges() throws IOException {
        Path csv = write("s.csv", "product_id,title,brand,price,size\nA1,Desk lamp,Lumo,12.5,L\nA2,Floor lamp,Lumo,,M\nA2,Dup,X,,\n");
        Path snapshots = dir.resolve("snapshots");
        Catalog first = CatalogLoader.load(csv, java.util.Optional.of(snapshots));
        Path snapshot = CatalogSnapshot.fileFor(snapshots, csv);
        assertThat(snapshot).isRegularFile();
        Catalog again = CatalogLoader.load(csv, java.util.Optional.of(snapshots));
        assertThat(again.products()).isEqualTo(first.products());
        assertThat(again.rejectedRows()).isEqualTo(first.rejectedRows()).hasSize(1);
        assertThat(again.contentHash()).isEqualTo(first.contentHash());

        // Read, not parsed: a snapshot made for this content with other products is what comes back.
        CatalogSnapshot.write(snapshot, new Catalog(csv, first.contentHash(), java.util.List.of(new Product("Z9", "Kept", "", "")),
                java.util.List.of()));
        assertThat(CatalogLoader.load(csv, java.util.Optional.of(snapshots)).products()).extracting(Product::productId).containsExactly("Z9");

        // A changed file is parsed again and its snapshot replaced; a torn snapshot is ignored.
        Files.writeString(csv, "product_id,title\nB1,Chair\n");
        assertThat(CatalogLoader.load(csv, java.util.Optional.of(snapshots)).products()).extracting(Product::productId).containsExactly("B1");
        assertThat(CatalogLoader.load(csv, java.util.Optional.of(snapshots)).products()).extracting(Product::productId).containsExactly("B1");
        Files.write(snapshot, java.util.Arrays.copyOf(Files.readAllBytes(snapshot), 90));
        assertThat(CatalogLoader.load(csv, java.util.Optional.of(snapshots)).products()).extracting(Product::productId).containsExactly("B1");
    }

    @Test
    void loadsJsonLinesAndReportsMalformedLines() throws IOException {
        Path jsonl = write("c.jsonl", """
                {"product_id": "P1", "title": "Desk lamp", "brand": "Lumo"}
                {"product_id": "P2", "title": broken}

                ["not", "an", "object"]
                {"product_id": "P3", "title": "Floor lamp"}
                """);
        Catalog catalog = CatalogLoader.load(jsonl);
        assertThat(catalog.products()).extracting(Product::productId).containsExactly("P1", "P3");
        assertThat(catalog.rejectedRows()).extracting(Catalog.RejectedRow::line).containsExactly(2, 4);
    }

    @Test
    void missingFileIsAPreconditionFailure() {
        assertThatThrownBy(() -> CatalogLoader.load(dir.resolve("nope.csv")))
                .isInstanceOf(RecopsException.PreconditionFailed.class)
                .hasMessageContaining("nope.csv not found");
    }

    @Test
    void headerWithoutTitleIsInvalidInput() throws IOException {
        Path csv = write("h.csv", "product_id,name\nA,B\n");
        assertThatThrownBy(() -> CatalogLoader.load(csv))
                .isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("no title column");
    }

    @Test
    void aHeaderMissingBothRequiredColumnsNamesBoth() throws IOException {
        Path csv = write("n.csv", "id,name\nA,B\n");
        assertThatThrownBy(() -> CatalogLoader.load(csv))
                .isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("no product_id and no title column").hasMessageContaining("it has id, name");
    }

    @Test
    void priceStockAndEveryOtherColumnAreReadAndBadValuesRejectedWithTheirLine() throws IOException {
        Path csv = write("p.csv", "product_id,title,category,price,in_stock,size,description\n"
                + "A,Desk lamp,lighting,19.99,yes,M,long text\n"
                + "B,Sofa,seating,-5,true,L,\n"
                + "C,Rug,floor,twelve,true,S,\n"
                + "D,Shelf,storage,,maybe,,\n"
                + "E,Chair,seating,,,XL,\n");
        Catalog c = CatalogLoader.load(csv);
        assertThat(c.products()).extracting(Product::productId).containsExactly("A", "E");
        Product a = c.products().getFirst();
        assertThat(a.price()).isEqualTo(19.99);
        assertThat(a.inStock()).isTrue();
        assertThat(a.attributes()).containsEntry("category", "lighting").containsEntry("size", "M").doesNotContainKey("description");
        assertThat(c.products().get(1).price()).isNaN();
        assertThat(c.products().get(1).inStock()).as("no stock column value: sellable").isTrue();
        assertThat(c.rejectedRows()).extracting(Catalog.RejectedRow::toString).containsExactly(
                "line 3: price must be a non-negative number, not -5", "line 4: price must be a non-negative number, not twelve",
                "line 5: in_stock must be true or false (or 1/0, yes/no), not maybe");
        assertThat(c.filterable()).containsExactly("brand", "category", "color", "in_stock", "price", "size");
    }

    @Test
    void catalogWithoutAnyUsableProductIsInvalidInput() throws IOException {
        Path csv = write("e.csv", "product_id,title\n,\n");
        assertThatThrownBy(() -> CatalogLoader.load(csv))
                .isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("no usable product")
                .hasMessageContaining("line 2");
    }

    @Test
    void unterminatedQuoteFailsTheWholeFileNamingTheLine() throws IOException {
        Path csv = write("q.csv", "product_id,title\nA,\"open\nB,x\n");
        assertThatThrownBy(() -> CatalogLoader.load(csv))
                .isInstanceOf(RecopsException.InvalidInput.class)
                .hasMessageContaining("line 2");
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }
}
