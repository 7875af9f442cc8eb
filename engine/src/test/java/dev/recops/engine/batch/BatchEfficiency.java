package dev.recops.engine.batch;

import dev.recops.batching.CallCost;
import dev.recops.batching.Grouping;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;
import dev.recops.engine.model.TokenizedBatch;
import dev.recops.engine.model.TokenizedText;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The model alone, one thread, no server: texts per second at batch 1 and for batches of 16
 * queries run as one call, split by the old fixed rule (same call while within 1.5x or 8 tokens
 * of the shortest), and split by {@link Grouping} with the default fixed cost. Rounds alternate.
 * Run by scripts/bench/model-batching.sh.
 *
 * <p>Arguments: modelRepo model version queriesFile secondsPerMeasurement rounds
 */
public final class BatchEfficiency {
    private BatchEfficiency() {}

    public static void main(String[] args) throws Exception {
        ModelVersion version = new ModelRepository(Path.of(args[0])).scan().versionsOf(args[1]).stream()
                .filter(v -> v.version().equals(args[2])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no version " + args[2] + " of " + args[1]));
        List<String> queries = Files.readAllLines(Path.of(args[3])).stream().filter(l -> !l.isBlank()).toList();
        long nanos = Long.parseLong(args[4]) * 1_000_000_000L;
        int rounds = Integer.parseInt(args[5]);
        try (TextEncoder encoder = TextEncoder.load(version, 1)) {
            List<TokenizedText> texts = queries.stream().map(encoder::tokenizeOne).toList();
            for (int r = 1; r <= rounds; r++) {
                for (String policy : List.of("batch-1", "one-call", "fixed-rule", "cost-split")) {
                    measure(encoder, texts, policy, nanos, r);
                }
            }
        }
    }

    private static void measure(TextEncoder encoder, List<TokenizedText> texts, String policy, long nanos, int round) {
        int batch = policy.equals("batch-1") ? 1 : 16;
        long start = System.nanoTime();
        long done = 0;
        long calls = 0;
        long padded = 0;
        int next = 0;
        while (System.nanoTime() - start < nanos) {
            List<TokenizedText> b = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                b.add(texts.get(next++ % texts.size()));
            }
            b.sort(Comparator.comparingInt(TokenizedText::length));
            int from = 0;
            for (int to : ends(b, policy)) {
                TokenizedBatch call = TokenizedBatch.pad(b.subList(from, to));
                encoder.infer(call);
                padded += (long) call.size() * call.sequenceLength();
                calls++;
                from = to;
            }
            done += batch;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "RESULT round=%d policy=%s texts_per_s=%.1f calls_per_batch=%.2f padded_tokens_per_text=%.2f%n",
                round, policy, done / seconds, calls * (double) batch / done, padded / (double) done);
    }

    private static List<Integer> ends(List<TokenizedText> sorted, String policy) {
        int[] lengths = sorted.stream().mapToInt(TokenizedText::length).toArray();
        return switch (policy) {
            case "cost-split" -> Grouping.split(lengths, CallCost.DEFAULT_FIXED_TOKENS, 0);
            case "fixed-rule" -> {
                List<Integer> ends = new ArrayList<>();
                int from = 0;
                while (from < lengths.length) {
                    int to = from + 1;
                    while (to < lengths.length && lengths[to] <= Math.max(lengths[from] + 8, lengths[from] * 3 / 2)) {
                        to++;
                    }
                    ends.add(to);
                    from = to;
                }
                yield ends;
            }
            default -> List.of(lengths.length);
        };
    }
}
