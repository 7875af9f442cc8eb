package dev.recops.cli;

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
            out.printf(Locale.ROOT,
                    "{\"event\":\"ready\",\"url\":\"%s\",\"model\":\"%s\",\"primary_version\":\"%s\",\"versions\":[%s],"
                            + "\"catalog_products\":%d,\"startup_seconds\":%.3f}%n",
                    url, service.modelName(), service.primaryVersion(),
                    String.join(",", service.versions().stream().map(v -> "\"" + v + "\"").toList()),
                    service.catalogSize(), seconds);
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
