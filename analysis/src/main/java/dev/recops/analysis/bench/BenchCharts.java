package dev.recops.analysis.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Pictures of bench runs (PNG, XChart, as review draws its charts): latency percentiles and
 * throughput per second over a run, the latency distribution by percentile on a log scale, and for
 * a sweep or a max-rate search p50/p99 against the offered rate. Every line drawn is named in the
 * legend, the objective too, and the legend sits outside the plot, clear of the lines.
 */
public final class BenchCharts {
    public static final String OVER_TIME = "latency-over-time.png";
    public static final String THROUGHPUT = "throughput.png";
    public static final String DISTRIBUTION = "percentiles.png";
    public static final String AGAINST_RATE = "latency-vs-rate.png";
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 450;
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);

    private BenchCharts() {}

    /** One second of a run: its start (seconds from the run's start), responses, p50 and p99 (ms). */
    public record Second(double start, long responses, double p50, double p99) {}

    /** One run of a sweep or max-rate search: the offered rate and its p50 and p99 (ms). */
    public record RatePoint(double rate, double p50, double p99) {}

    /**
     * The run's three charts in {@code dir}.
     *
     * @param percentiles latency (ms) at percentiles, in increasing order (50 -> value, ...)
     * @param latencyObjectiveMs a latency objective to draw, named {@code objectiveName}
     */
    public static List<Path> run(Path dir, List<Second> seconds, Map<Double, Double> percentiles, OptionalDouble latencyObjectiveMs, String objectiveName)
            throws IOException {
        Files.createDirectories(dir);
        double[] x = seconds.stream().mapToDouble(Second::start).toArray();
        XYChart latency = chart("Latency per second", "seconds into the run", "ms");
        line(latency, "p50", x, seconds.stream().mapToDouble(Second::p50).toArray());
        line(latency, "p99", x, seconds.stream().mapToDouble(Second::p99).toArray());
        objective(latency, objectiveName, x, latencyObjectiveMs);
        XYChart throughput = chart("Responses per second", "seconds into the run", "responses/s");
        line(throughput, "responses", x, seconds.stream().mapToDouble(s -> (double) s.responses()).toArray());
        XYChart distribution = chart("Latency by percentile", "1/(1-p), log scale: 2 = p50, 10 = p90, 100 = p99, 1000 = p99.9", "ms");
        distribution.getStyler().setXAxisLogarithmic(true);
        double[] px = percentiles.keySet().stream().mapToDouble(p -> 1 / (1 - p / 100)).toArray();
        XYSeries d = line(distribution, "latency", px, percentiles.values().stream().mapToDouble(Double::doubleValue).toArray());
        d.setMarker(SeriesMarkers.CIRCLE);
        objective(distribution, objectiveName, px, latencyObjectiveMs);
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, XYChart> c : Map.of(OVER_TIME, latency, THROUGHPUT, throughput, DISTRIBUTION, distribution).entrySet()) {
            Path f = dir.resolve(c.getKey());
            BitmapEncoder.saveBitmap(c.getValue(), f.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(f);
        }
        return written;
    }

    /** p50 and p99 against the offered rate, the objective as a line and the knee (the highest rate that met it) marked. */
    public static Path againstRate(Path dir, List<RatePoint> points, OptionalDouble latencyObjectiveMs, String objectiveName, OptionalDouble knee)
            throws IOException {
        Files.createDirectories(dir);
        List<RatePoint> sorted = points.stream().sorted(java.util.Comparator.comparingDouble(RatePoint::rate)).toList();
        double[] x = sorted.stream().mapToDouble(RatePoint::rate).toArray();
        XYChart c = chart("Latency against offered rate", "offered rate (requests/s)", "ms");
        line(c, "p50", x, sorted.stream().mapToDouble(RatePoint::p50).toArray()).setMarker(SeriesMarkers.CIRCLE);
        line(c, "p99", x, sorted.stream().mapToDouble(RatePoint::p99).toArray()).setMarker(SeriesMarkers.CIRCLE);
        objective(c, objectiveName, x, latencyObjectiveMs);
        knee.ifPresent(k -> {
            double top = sorted.stream().mapToDouble(RatePoint::p99).max().orElse(1);
            XYSeries s = c.addSeries(String.format(java.util.Locale.ROOT, "knee: %.0f/s, the highest rate that met it", k), new double[] {k, k},
                    new double[] {0, Math.max(top, latencyObjectiveMs.orElse(0))});
            s.setMarker(SeriesMarkers.NONE).setLineColor(new Color(120, 120, 120)).setLineStyle(DASHED);
        });
        Path f = dir.resolve(AGAINST_RATE);
        BitmapEncoder.saveBitmap(c, f.toString(), BitmapEncoder.BitmapFormat.PNG);
        return f;
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLocale(java.util.Locale.ROOT);
        c.getStyler().setPlotGridLinesColor(new Color(230, 230, 230));
        return c;
    }

    private static XYSeries line(XYChart c, String name, double[] x, double[] y) {
        XYSeries s = c.addSeries(name, x.length == 0 ? new double[] {0} : x, y.length == 0 ? new double[] {0} : y);
        s.setMarker(SeriesMarkers.NONE);
        return s;
    }

    private static void objective(XYChart c, String name, double[] x, OptionalDouble ms) {
        if (ms.isEmpty() || x.length == 0) {
            return;
        }
        double lo = java.util.Arrays.stream(x).min().orElse(0), hi = java.util.Arrays.stream(x).max().orElse(1);
        XYSeries s = c.addSeries("objective " + name, new double[] {lo, hi}, new double[] {ms.getAsDouble(), ms.getAsDouble()});
        s.setMarker(SeriesMarkers.NONE).setLineColor(new Color(220, 50, 47)).setLineStyle(DASHED);
    }
}
