package dev.recops.engine.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.catalog.ProductFilter;
import dev.recops.engine.serve.Queries;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * What to send: pre-encoded requests per endpoint, picked by the endpoint mix's weights and,
 * within an endpoint, sequentially or Zipf-distributed over the queries (popular queries
 * repeat, as in a store's real traffic). Every request is encoded once, before the run, so the
 * dispatcher only picks.
 */
public final class Workload {

    /** The endpoints a workload can mix. */
    public enum Endpoint {
        SEARCH("search"), RECOMMEND("recommend"), EMBED("embed"), V2("v2"), TEMPLATE("template"), GET("get");

        public final String label;

        Endpoint(String label) {
            this.label = label;
        }

        public static Endpoint parse(String s) {
            for (Endpoint e : values()) {
                if (e.label.equals(s)) {
                    return e;
                }
            }
            throw new RecopsException.InvalidInput("bad_mix", "unknown endpoint '" + s + "' in the mix (search, recommend, embed, v2, template, get)");
        }
    }

    public enum Order { SEQUENTIAL, ZIPF }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECOMMEND_SETS = 1_000;
    private final Spec spec;
    private final Endpoint[] endpoints;
    private final int[] cumulativeWeights;
    private final Map<Endpoint, Call[]> calls = new LinkedHashMap<>();
    private final double[] zipfCdf;

    /** {@code search=80,recommend=20}: endpoints and whole-number weights (a bare name weighs 1). */
    public static Map<Endpoint, Integer> parseMix(String mix) {
        Map<Endpoint, Integer> weights = new LinkedHashMap<>();
        for (String part : mix.split(",")) {
            String[] kv = part.strip().split("=", 2);
            int w;
            try {
                w = kv.length == 2 ? Integer.parseInt(kv[1].strip()) : 1;
            } catch (NumberFormatException e) {
                throw new RecopsException.InvalidInput("bad_mix", "--mix weights are whole numbers, as in search=80,recommend=20; not " + part);
            }
            if (weights.put(Endpoint.parse(kv[0].strip()), w) != null) {
                throw new RecopsException.InvalidInput("bad_mix", "--mix names " + kv[0].strip() + " twice");
            }
        }
        return weights;
    }

    /** A body template file's text (see {@link Spec#template}). */
    public static String readTemplate(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("file_not_found", "cannot read the body template " + file + ": " + e.getMessage());
        }
    }

    /**
     * @param queries query texts, at least one
     * @param mix weight per endpoint, each > 0
     * @param k results per search or recommend request
     * @param version the model version to ask for; empty for the primary
     * @param model the model name, for KServe v2 paths
     * @param productIds catalog product ids for recommend requests (required when the mix has recommend)
     * @param template a JSON body with {@code {{query}}} where the query goes as a JSON string, for {@code template}
     * @param templatePath the request path for {@code template} and {@code get}
     * @param headers extra request headers, {@code Name: value}
     */
    public record Spec(List<String> queries, Map<Endpoint, Integer> mix, int k, String version, String model,
                       List<String> productIds, Optional<String> template, String templatePath, List<String> headers,
                       Order order, double zipfExponent, long seed) {
        public Spec {
            queries = List.copyOf(queries);
            mix = Map.copyOf(mix);
            productIds = List.copyOf(productIds);
            headers = List.copyOf(headers);
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(order, "order");
            if (queries.isEmpty()) {
                throw new RecopsException.InvalidInput("no_queries", "the workload has no queries");
            }
            if (mix.isEmpty() || mix.values().stream().anyMatch(w -> w <= 0)) {
                throw new RecopsException.InvalidInput("bad_mix", "the endpoint mix needs positive weights");
            }
            if (k < 1 || k > Queries.MAX_K) {
                throw new RecopsException.InvalidInput("bad_k", "k must be in 1.." + Queries.MAX_K + ", not " + k);
            }
            if (mix.containsKey(Endpoint.RECOMMEND) && productIds.isEmpty()) {
                throw new RecopsException.InvalidInput("no_products", "recommend requests need catalog product ids (see --catalog)");
            }
            if (mix.containsKey(Endpoint.TEMPLATE) && template.isEmpty()) {
                throw new RecopsException.InvalidInput("no_template", "the mix has 'template' but no --body-template was given");
            }
            if (template.isPresent() && !template.get().contains("{{query}}")) {
                throw new RecopsException.InvalidInput("bad_template", "the body template has no {{query}} placeholder");
            }
            if (zipfExponent <= 0 || zipfExponent > 5) {
                throw new RecopsException.InvalidInput("bad_zipf", "the Zipf exponent must be in (0, 5], not " + zipfExponent);
            }
        }
    }

    /**
     * One request, encoded for HTTP and, unless it is a template, as the engine query it stands
     * for ({@link Queries.Search}, {@link Queries.Recommend} or {@link Queries.Embed}).
     */
    public record Call(Endpoint endpoint, byte[] http, Object query) {}

    private Workload(Spec spec, String hostHeader) {
        this.spec = spec;
        this.endpoints = spec.mix().keySet().stream().sorted().toArray(Endpoint[]::new);
        this.cumulativeWeights = new int[endpoints.length];
        int sum = 0;
        for (int i = 0; i < endpoints.length; i++) {
            sum += spec.mix().get(endpoints[i]);
            cumulativeWeights[i] = sum;
        }
        SplittableRandom random = new SplittableRandom(spec.seed());
        for (Endpoint e : endpoints) {
            calls.put(e, encode(e, hostHeader, random));
        }
        this.zipfCdf = spec.order() == Order.ZIPF ? zipfCdf(calls.values().stream().mapToInt(a -> a.length).max().orElse(1), spec.zipfExponent()) : null;
    }

    /** @param hostHeader the {@code Host} header for HTTP requests, for example {@code 127.0.0.1:8080} */
    public static Workload build(Spec spec, String hostHeader) {
        return new Workload(spec, hostHeader);
    }

    public Spec spec() {
        return spec;
    }

    /** A picker for one thread: not thread-safe; pickers with different streams differ. */
    public Picker picker(int stream) {
        return new Picker(new SplittableRandom(spec.seed() * 31 + stream));
    }

    public final class Picker {
        private final SplittableRandom random;
        private final Map<Endpoint, Integer> next = new LinkedHashMap<>();

        private Picker(SplittableRandom random) {
            this.random = random;
        }

        public Call next() {
            Endpoint e = endpoints[0];
            if (endpoints.length > 1) {
                int r = random.nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
                for (int i = 0; i < endpoints.length; i++) {
                    if (r < cumulativeWeights[i]) {
                        e = endpoints[i];
                        break;
                    }
                }
            }
            Call[] options = calls.get(e);
            int index;
            if (zipfCdf == null) {
                index = next.merge(e, 1, Integer::sum) - 1;
                index %= options.length;
            } else {
                index = zipfRank(random.nextDouble(), options.length);
            }
            return options[index];
        }
    }

    private int zipfRank(double u, int n) {
        double scaled = u * zipfCdf[n - 1];
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (zipfCdf[mid] < scaled) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        return cdf;
    }

    private Call[] encode(Endpoint e, String host, SplittableRandom random) {
        Queries.Target target = new Queries.Target(spec.version());
        List<Call> out = new ArrayList<>();
        switch (e) {
            case SEARCH -> spec.queries().forEach(q -> {
                ObjectNode body = JSON.createObjectNode().put("query", q).put("k", spec.k());
                versioned(body);
                out.add(new Call(e, http("/v1/search", host, body.toString()),
                        new Queries.Search(q, spec.k(), ProductFilter.NONE, target)));
            });
            case RECOMMEND -> {
                for (int i = 0; i < RECOMMEND_SETS; i++) {
                    int n = 1 + random.nextInt(3);
                    List<String> ids = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        ids.add(spec.productIds().get(random.nextInt(spec.productIds().size())));
                    }
                    ObjectNode body = JSON.createObjectNode();
                    ids.forEach(body.putArray("recent_product_ids")::add);
                    body.put("k", spec.k());
                    versioned(body);
                    out.add(new Call(e, http("/v1/recommend", host, body.toString()), new Queries.Recommend(ids, spec.k(), target)));
                }
            }
            case EMBED -> spec.queries().forEach(q -> {
                ObjectNode body = JSON.createObjectNode();
                body.putArray("texts").add(q);
                versioned(body);
                out.add(new Call(e, http("/v1/embed", host, body.toString()), new Queries.Embed(List.of(q), target)));
            });
            case V2 -> {
                String path = "/v2/models/" + spec.model() + (spec.version().isEmpty() ? "" : "/versions/" + spec.version()) + "/infer";
                spec.queries().forEach(q -> {
                    ObjectNode body = JSON.createObjectNode();
                    ObjectNode input = body.putArray("inputs").addObject().put("name", "text").put("datatype", "BYTES");
                    input.putArray("shape").add(1);
                    input.putArray("data").add(q);
                    out.add(new Call(e, http(path, host, body.toString()), new Queries.Embed(List.of(q), target)));
                });
            }
            case TEMPLATE -> spec.queries().forEach(q -> out.add(new Call(e,
                    http(spec.templatePath(), host, spec.template().orElseThrow().replace("{{query}}", jsonString(q))), null)));
            case GET -> out.add(new Call(e, get(spec.templatePath(), host), null));
        }
        return out.toArray(Call[]::new);
    }

    private void versioned(ObjectNode body) {
        if (!spec.version().isEmpty()) {
            body.put("version", spec.version());
        }
    }

    private byte[] http(String path, String host, String body) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(160).append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(host)
                .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(content.length).append("\r\n");
        for (String h : spec.headers()) {
            head.append(h).append("\r\n");
        }
        byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
        byte[] request = new byte[headBytes.length + content.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(content, 0, request, headBytes.length, content.length);
        return request;
    }

    private byte[] get(String path, String host) {
        StringBuilder head = new StringBuilder(96).append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (String h : spec.headers()) {
            head.append(h).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String jsonString(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
