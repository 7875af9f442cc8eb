package dev.recops.engine.load;

import dev.recops.engine.RecopsException;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * HdrHistogram interval logs ({@code .hlog}): one histogram per second of latencies in
 * microseconds. Histograms add exactly, so runs from several machines merge into the
 * distribution of all their requests, not an average of percentiles.
 */
public final class HlogFiles {
    private HlogFiles() {}

    /** An open interval log: give {@link #writer()} to a {@link LoadRun}, then close. */
    public record Output(HistogramLogWriter writer, PrintStream stream) implements AutoCloseable {
        @Override
        public void close() {
            stream.close();
        }
    }

    /** Creates the file and writes the format header. */
    public static Output create(Path file) {
        try {
            PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8);
            HistogramLogWriter w = new HistogramLogWriter(out);
            w.outputComment("recops bench interval log: latency in microseconds, one interval per second");
            w.outputLogFormatVersion();
            long now = System.currentTimeMillis();
            w.outputStartTime(now);
            w.setBaseTime(now);
            w.outputLegend();
            return new Output(w, out);
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** What merging found: the sum of every interval of every file. */
    public record Merged(Histogram histogram, int files, int intervals) {}

    public static Merged merge(List<Path> files) {
        Histogram total = new Histogram(3);
        int intervals = 0;
        for (Path f : files) {
            HistogramLogReader reader;
            try {
                reader = new HistogramLogReader(f.toFile());
            } catch (FileNotFoundException e) {
                throw new RecopsException.PreconditionFailed("file_not_found", "interval log " + f + " not found");
            }
            try (reader) {
                for (EncodableHistogram h = reader.nextIntervalHistogram(); h != null; h = reader.nextIntervalHistogram()) {
                    if (!(h instanceof Histogram histogram)) {
                        throw new RecopsException.InvalidInput("bad_hlog", f + " holds double histograms, not recops latencies");
                    }
                    total.add(histogram);
                    intervals++;
                }
            } catch (RuntimeException e) {
                if (e instanceof RecopsException re) {
                    throw re;
                }
                throw new RecopsException.InvalidInput("bad_hlog", f + " is not an HdrHistogram interval log: " + e.getMessage());
            }
        }
        return new Merged(total, files.size(), intervals);
    }
}
