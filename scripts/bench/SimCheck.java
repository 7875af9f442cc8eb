import dev.recops.analysis.latency.CallTimeModel;
import dev.recops.batching.BatchPolicy;
import dev.recops.batching.BatchSimulation;
import dev.recops.engine.load.QueryFile;
import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;
import dev.recops.engine.model.TextEncoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How well the batcher's simulation, drawing call times from a profile, predicts measured bench
 * runs: for each row of a runs CSV (recops bench --csv, open loop, Poisson), the simulated p50 and
 * p99 of the batcher alone (no tokenization, retrieval or HTTP) beside the measured ones.
 *
 * <pre>
 * java -cp 'cli/target/recops/lib/*' scripts/bench/SimCheck.java PROFILE.csv RUNS.csv MODEL_REPO QUERIES.csv
 * </pre>
 */
public class SimCheck {
    public static void main(String[] args) throws Exception {
        CallTimeModel calls = CallTimeModel.fit(CallTimeModel.read(Path.of(args[0])), 5);
        List<String> lines = Files.readAllLines(Path.of(args[1]));
        List<String> header = List.of(lines.getFirst().split(","));
        ModelVersion version = ModelRepository.find(Path.of(args[2]), "", "");
        int[] lengths;
        try (TextEncoder encoder = TextEncoder.load(version, 1)) {
            lengths = QueryFile.read(Path.of(args[3])).stream().mapToInt(q -> encoder.tokenizeOne(q).length()).toArray();
        }
        System.out.println("batch_max,delay_ms,workers,threads,rate,measured_p50,sim_p50,measured_p99,sim_p99,sim_busy,measured_errors");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            int batchMax = Integer.parseInt(f[header.indexOf("batch_max")]);
            double delay = Double.parseDouble(f[header.indexOf("batch_delay_ms")]);
            int workers = Integer.parseInt(f[header.indexOf("workers")]);
            int threads = Integer.parseInt(f[header.indexOf("threads")]);
            double rate = Double.parseDouble(f[header.indexOf("rate")]);
            double seconds = Double.parseDouble(f[header.indexOf("duration_s")]);
            SplittableRandom random = new SplittableRandom(1);
            List<BatchSimulation.Arrival> arrivals = new ArrayList<>();
            double t = 0;
            for (int i = 0; t < seconds; i++) {
                t += -Math.log(1 - random.nextDouble()) / rate;
                arrivals.add(new BatchSimulation.Arrival((long) (t * 1e9), lengths[i % lengths.length], 2_000_000_000L));
            }
            int profiled = Math.min(workers, 2);
            BatchSimulation.Result r = BatchSimulation.run(new BatchPolicy(batchMax, Duration.ofNanos((long) (delay * 1e6)), 1024, workers),
                    arrivals, (texts, padded, running) -> (long) (calls.millis(texts, Math.max(1, padded / texts), threads, profiled,
                            Math.min(running, profiled)) * 1e6));
            System.out.printf(Locale.ROOT, "%d,%s,%d,%d,%s,%s,%.3f,%s,%.3f,%.3f,%s%n", batchMax, f[header.indexOf("batch_delay_ms")], workers, threads,
                    f[header.indexOf("rate")], f[header.indexOf("p50_ms")], r.latencyMillis(50), f[header.indexOf("p99_ms")], r.latencyMillis(99),
                    r.busyShare(), f[header.indexOf("error_rate")]);
        }
    }
}
