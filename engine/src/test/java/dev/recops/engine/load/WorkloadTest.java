package dev.recops.engine.load;

import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.RecopsException;
import dev.recops.engine.serve.Queries;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Query files, the endpoint mix and the order queries are picked in. */
class WorkloadTest {
    @TempDir
    Path dir;

    private static final List<String> QUERIES = IntStream.range(0, 100).mapToObj(i -> "query " + i).toList();

    private static Workload.Spec spec(Map<Workload.Endpoint, Integer> mix, Workload.Order order, Optional<String> template) {
        return new Workload.Spec(QUERIES, mix, 5, "", "search-encoder", List.of("B01", "B02", "B03"), template, "/custom", List.of("X-Test: 1"),
                order, 1.0, 42);
    }

    private static String text(Workload.Call c) {
        return new String(c.http(), StandardCharsets.UTF_8);
    }

    @Test
    void theMixIsKeptInProportion() {
        Workload w = Workload.build(spec(Map.of(Workload.Endpoint.SEARCH, 80, Workload.Endpoint.RECOMMEND, 20), Workload.Order.SEQUENTIAL,
                Optional.empty()), "h:1");
        Workload.Picker p = w.picker(0);
        Map<Workload.Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(p.next().endpoint(), 1, Integer::sum);
        }
        assertThat(counts.get(Workload.Endpoint.RECOMMEND)).isBetween(1_800, 2_200);
    }

    @Test
    void requestsAreCompleteHttpWithTheEngineQueryBeside() {
        Workload w = Workload.build(spec(Map.of(Workload.Endpoint.SEARCH, 1), Workload.Order.SEQUENTIAL, Optional.empty()), "h:1");
        Workload.Call c = w.picker(0).next();
        assertThat(text(c)).startsWith("POST /v1/search HTTP/1.1\r\nHost: h:1\r\n").contains("X-Test: 1\r\n")
                .endsWith("\r\n\r\n{\"query\":\"query 0\",\"k\":5}");
        assertThat(c.query()).isEqualTo(new Queries.Search("query 0", 5, ProductFilter.NONE, Queries.Target.PRIMARY));
        assertThat(text(w.picker(0).next())).contains("Content-Length: " + "{\"query\":\"query 0\",\"k\":5}".length() + "\r\n");
    }

    @Test
    void zipfRepeatsTheFirstQueriesAndSequentialWalksThemAll() {
        Workload zipf = Workload.build(spec(Map.of(Workload.Endpoint.SEARCH, 1), Workload.Order.ZIPF, Optional.empty()), "h:1");
        Workload.Picker p = zipf.picker(0);
        int top = 0;
        for (int i = 0; i < 10_000; i++) {
            if (text(p.next()).contains("\"query 0\"")) {
                top++;
            }
        }
        // Zipf(1) over 100 ranks gives rank 1 a share of 1 / H(100) = 19%.
        assertThat(top).isBetween(1_700, 2_150);
        Workload seq = Workload.build(spec(Map.of(Workload.Endpoint.SEARCH, 1), Workload.Order.SEQUENTIAL, Optional.empty()), "h:1");
        Workload.Picker s = seq.picker(0);
        assertThat(IntStream.range(0, 100).mapToObj(i -> text(s.next())).distinct().count()).isEqualTo(100);
    }

    @Test
    void templatesEscapeTheQueryAndGetHasNoBody() {
        Workload w = Workload.build(new Workload.Spec(List.of("say \"hi\""), Map.of(Workload.Endpoint.TEMPLATE, 1, Workload.Endpoint.GET, 1), 5,
                "", "m", List.of(), Optional.of("{\"q\": {{query}}}"), "/custom", List.of(), Workload.Order.SEQUENTIAL, 1, 1), "h:1");
        Workload.Picker p = w.picker(0);
        boolean sawTemplate = false;
        boolean sawGet = false;
        for (int i = 0; i < 50; i++) {
            String t = text(p.next());
            sawTemplate |= t.startsWith("POST /custom ") && t.endsWith("{\"q\": \"say \\\"hi\\\"\"}");
            sawGet |= t.equals("GET /custom HTTP/1.1\r\nHost: h:1\r\n\r\n");
        }
        assertThat(sawTemplate).isTrue();
        assertThat(sawGet).isTrue();
    }

    @Test
    void inconsistentWorkloadsAreRefused() {
        assertThatThrownBy(() -> spec(Map.of(Workload.Endpoint.TEMPLATE, 1), Workload.Order.SEQUENTIAL, Optional.empty()))
                .isInstanceOf(RecopsException.InvalidInput.class).hasMessageContaining("--body-template");
        assertThatThrownBy(() -> spec(Map.of(Workload.Endpoint.TEMPLATE, 1), Workload.Order.SEQUENTIAL, Optional.of("{}")))
                .hasMessageContaining("{{query}}");
        assertThatThrownBy(() -> Workload.Endpoint.parse("checkout")).hasMessageContaining("unknown endpoint 'checkout'");
    }

    @Test
    void queryFilesComeAsCsvJsonLinesOrPlainLines() throws Exception {
        Path csv = Files.writeString(dir.resolve("q.csv"), "query_id,query,class\n1,\"sofa, grey\",x\n2,desk lamp,y\n3,,z\n");
        Path jsonl = Files.writeString(dir.resolve("q.jsonl"), "{\"query\": \"sofa\"}\n\n{\"query\": \"lamp\", \"n\": 2}\n");
        Path plain = Files.writeString(dir.resolve("q.txt"), "sofa\n  \nlamp  \n");
        assertThat(QueryFile.read(csv)).containsExactly("sofa, grey", "desk lamp");
        assertThat(QueryFile.read(jsonl)).containsExactly("sofa", "lamp");
        assertThat(QueryFile.read(plain)).containsExactly("sofa", "lamp");
        Path badJson = Files.writeString(dir.resolve("bad.jsonl"), "{\"query\": \"a\"}\n{\"q\": 1}\n");
        assertThatThrownBy(() -> QueryFile.read(badJson)).hasMessageContaining("line 2");
        Path noColumn = Files.writeString(dir.resolve("bad.csv"), "id,text\n1,a\n");
        assertThatThrownBy(() -> QueryFile.read(noColumn)).hasMessageContaining("no 'query' column");
        assertThatThrownBy(() -> QueryFile.read(dir.resolve("missing.csv"))).isInstanceOf(RecopsException.PreconditionFailed.class);
    }
}
