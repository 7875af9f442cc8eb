package dev.recops.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.serve.SearchService;

import java.io.PrintWriter;
import java.util.Locale;

/** Renders the "serving" announcement of {@code recops serve} as text or one JSON line. */
final class ReadyRenderer {
    private final PrintWriter out;
    private final boolean json;

    ReadyRenderer(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    void render(String url, SearchService service, double seconds) {
        if (json) {
            ObjectNode ready = JsonNodeFactory.instance.objectNode().put("event", "ready").put("url", url).put("model", service.modelName())
                    .put("primary_version", service.primaryVersion());
            service.versions().forEach(ready.putArray("versions")::add);
            ready.put("catalog_products", service.catalogSize()).put("startup_seconds", Math.round(seconds * 1000) / 1000.0);
            out.println(ready);
        } else {
            out.printf(Locale.ROOT, "recops serve: %s versions %s (primary %s) over %d products, all loaded %.1f s after the JVM started, at %s%n",
                    service.modelName(), String.join(", ", service.versions()), service.primaryVersion(),
                    service.catalogSize(), seconds, url);
            out.printf("try: curl -s %s/v1/search -H 'Content-Type: application/json' -d '{\"query\": \"%s\", \"k\": 3}'%n", url,
                    service.exampleQuery());
        }
        out.flush();
    }
}
