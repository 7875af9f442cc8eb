import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * An /v1/embed response of one 384-float vector written two ways, as serve writes it: a tree of
 * one node per float, and the vectors handed to Jackson to stream (putPOJO). Nanoseconds and
 * bytes allocated per response, rounds alternating; checks that both write the same bytes.
 *
 * Usage: java -cp 'cli/target/recops/lib/*' scripts/bench/EmbedJson.java [ROUNDS] [VECTORS]
 */
public class EmbedJson {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args.length > 0 ? args[0] : "5");
        int count = Integer.parseInt(args.length > 1 ? args[1] : "1");
        Random random = new Random(7);
        List<float[]> vectors = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] v = new float[384];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (random.nextGaussian() * 0.05);
            }
            vectors.add(v);
        }
        if (!java.util.Arrays.equals(JSON.writeValueAsBytes(tree(vectors)), JSON.writeValueAsBytes(streamed(vectors)))) {
            throw new AssertionError("the two ways write different bytes");
        }
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = 1; r <= rounds; r++) {
            for (boolean stream : new boolean[] {false, true}) {
                int n = 20_000;
                long bytes0 = threads.getCurrentThreadAllocatedBytes();
                long t0 = System.nanoTime();
                long sink = 0;
                for (int i = 0; i < n; i++) {
                    sink += JSON.writeValueAsBytes(stream ? streamed(vectors) : tree(vectors)).length;
                }
                double ns = (System.nanoTime() - t0) / (double) n;
                double alloc = (threads.getCurrentThreadAllocatedBytes() - bytes0) / (double) n;
                System.out.printf(Locale.ROOT, "RESULT round=%d way=%s us_per_response=%.2f bytes_allocated=%.0f (%d)%n",
                        r, stream ? "streamed" : "tree", ns / 1000, alloc, sink % 7);
            }
        }
    }

    static ObjectNode tree(List<float[]> vectors) {
        ObjectNode out = JSON.createObjectNode();
        out.put("request_id", "r");
        ArrayNode rows = out.putArray("embeddings");
        for (float[] v : vectors) {
            ArrayNode row = rows.addArray();
            for (float x : v) {
                row.add(x);
            }
        }
        return out;
    }

    static ObjectNode streamed(List<float[]> vectors) {
        ObjectNode out = JSON.createObjectNode();
        out.put("request_id", "r");
        out.putPOJO("embeddings", vectors);
        return out;
    }
}
