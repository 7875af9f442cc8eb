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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Pictures of bench runs (XChart, as review draws its charts): latency percentiles, responses
 * and errors per second over a run, the HdrHistogram latency distribution on a log scale to
 * p99.99, a baseline run overlaid on each when one is given, and for a sweep or a max-rate
 * search p50/p99 against the offered rate. Every line drawn is named in the legend, the
 * objective too, and the legend sits outside the plot, clear of the lines. Saved as PNG files
 * ({@link #save}) or as one self-contained HTML page ({@link #report}).
 */
public final class BenchCharts {
    public static final String OVER_TIME = "latency-over-time.png";
    public static final String THROUGHPUT = "throughput.png";
    public static final String DISTRIBUTION = "percentiles.png";
    public static final String AGAINST_RATE = "latency-vs-rate.png";
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 450;
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    private static final Color BASELINE = new Color(150, 150, 150);

    private BenchCharts() {}

    /**
     * One second of a run: its start (seconds from the run's start), responses, errors and drops,
     * p50 and p99 (ms), and the answers from the server's fallback (degraded) among the responses.
     */
    public record Second(double start, long responses, long errors, double p50, double p99, long degraded) {}

    /** Latency (ms) at one percentile. */
    public record Percentile(double percentile, double millis) {}

    /** A run as drawn: a name for the legend, its seconds and its latency distribution. */
    public record Run(String name, List<Second> seconds, List<Percentile> distribution) {}

    /** A latency objective drawn as a dashed line, named as written ({@code p99<=50ms}). */
    public record Objective(String name, double millis) {}

    /** One run of a sweep or max-rate search: the offered rate and its p50 and p99 (ms). */
    public record RatePoint(double rate, double p50, double p99) {}

    /** The run's three charts, file name to chart, with {@code baseline} overlaid when present. */
    public static Map<String, XYChart> run(Run run, Optional<Run> baseline, Optional<Objective> objective) {
        String suffix = baseline.isPresent() ? " (" + run.name() + ")" : "";
        XYChart latency = chart("Latency per second", "seconds into the run", "ms");
        double[] x = run.seconds().stream().mapToDouble(Second::start).toArray();
        line(latency, "p50" + suffix, x, run.seconds().stream().mapToDouble(Second::p50).toArray());
        line(latency, "p99" + suffix, x, run.seconds().stream().mapToDouble(Second::p99).toArray());
        baseline.ifPresent(b -> faint(line(latency, "p99 (" + b.name() + ")", starts(b), b.seconds().stream().mapToDouble(Second::p99).toArray())));
        objective.ifPresent(o -> objective(latency, o, x));

        XYChart throughput = chart("Responses and errors per second", "seconds into the run", "per second");
        line(throughput, "responses" + suffix, x, run.seconds().stream().mapToDouble(s -> (double) s.responses()).toArray());
        line(throughput, "errors and drops" + suffix, x, run.seconds().stream().mapToDouble(s -> (double) s.errors()).toArray())
                .setLineColor(new Color(220, 50, 47));
        if (run.seconds().stream().anyMatch(s -> s.degraded() > 0)) {
            line(throughput, "degraded (the fallback's answers)" + suffix, x, run.seconds().stream().mapToDouble(s -> (double) s.degraded()).toArray())
                    .setLineColor(new Color(181, 137, 0));
        }
        baseline.ifPresent(b -> faint(line(throughput, "responses (" + b.name() + ")", starts(b),
                b.seconds().stream().mapToDouble(s -> (double) s.responses()).toArray())));

        XYChart distribution = chart("Latency by percentile (HdrHistogram)", "percentile, log scale of 1/(1-p): 2 = p50, 10 = p90, 100 = p99, "
                + "1000 = p99.9, 10000 = p99.99", "ms");
        distribution.getStyler().setXAxisLogarithmic(true);
        line(distribution, run.name(), inverse(run.distribution()), millis(run.distribution()));
        baseline.filter(b -> !b.distribution().isEmpty())
                .ifPresent(b -> faint(line(distribution, b.name(), inverse(b.distribution()), millis(b.distribution()))));
        objective.ifPresent(o -> objective(distribution, o, inverse(run.distribution())));

        Map<String, XYChart> charts = new LinkedHashMap<>();
        charts.put(OVER_TIME, latency);
        charts.put(THROUGHPUT, throughput);
        charts.put(DISTRIBUTION, distribution);
        return charts;
    }

    /** p50 and p99 against the offered rate, the objective as a line and the knee (the highest rate that met it) marked. */
    public static XYChart againstRate(List<RatePoint> points, Optional<Objective> objective, OptionalDouble knee) {
        List<RatePoint> sorted = points.stream().sorted(Comparator.comparingDouble(RatePoint::rate)).toList();
        double[] x = sorted.stream().mapToDouble(RatePoint::rate).toArray();
        XYChart c = chart("Latency against offered rate", "offered rate (requests/s)", "ms");
        line(c, "p50", x, sorted.stream().mapToDouble(RatePoint::p50).toArray()).setMarker(SeriesMarkers.CIRCLE);
        line(c, "p99", x, sorted.stream().mapToDouble(RatePoint::p99).toArray()).setMarker(SeriesMarkers.CIRCLE);
        objective.ifPresent(o -> objective(c, o, x));
        knee.ifPresent(k -> {
            double top = Math.max(sorted.stream().mapToDouble(RatePoint::p99).max().orElse(1), objective.map(Objective::millis).orElse(0.0));
            XYSeries s = c.addSeries(String.format(Locale.ROOT, "knee: %.0f/s, the highest rate that met it", k), new double[] {k, k},
                    new double[] {0, top});
            s.setMarker(SeriesMarkers.NONE).setLineColor(BASELINE).setLineStyle(DASHED);
        });
        return c;
    }

    /** Each chart as a PNG file in {@code dir}; returns the files. */
    public static List<Path> save(Path dir, Map<String, XYChart> charts) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, XYChart> c : charts.entrySet()) {
            Path f = dir.resolve(c.getKey());
            BitmapEncoder.saveBitmap(c.getValue(), f.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(f);
        }
        return written;
    }

    /**
     * One HTML file that needs nothing else (no network, no other file): the summary as
     * preformatted text and each chart as an embedded PNG.
     */
    public static void report(Path file, String title, String summary, Map<String, XYChart> charts) throws IOException {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(escape(title)).append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1040px}"
                        + "pre{background:#f6f6f6;padding:1em;overflow-x:auto}img{display:block;margin:1em 0;max-width:100%}</style>\n"
                        + "</head><body>\n<h1>").append(escape(title)).append("</h1>\n<pre>").append(escape(summary)).append("</pre>\n");
        for (XYChart c : charts.values()) {
            byte[] png = BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
            html.append("<img alt=\"").append(escape(c.getTitle()))
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">\n");
        }
        html.append("</body></html>\n");
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static double[] starts(Run r) {
        return r.seconds().stream().mapToDouble(Second::start).toArray();
    }

    private static double[] inverse(List<Percentile> d) {
        return d.stream().mapToDouble(p -> 1 / (1 - Math.min(p.percentile(), 99.999) / 100)).toArray();
    }

    private static double[] millis(List<Percentile> d) {
        return d.stream().mapToDouble(Percentile::millis).toArray();
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLocale(Locale.ROOT);
        c.getStyler().setPlotGridLinesColor(new Color(230, 230, 230));
        return c;
    }

    private static XYSeries line(XYChart c, String name, double[] x, double[] y) {
        XYSeries s = c.addSeries(name, x.length == 0 ? new double[] {0} : x, y.length == 0 ? new double[] {0} : y);
        s.setMarker(SeriesMarkers.NONE);
        return s;
    }

    private static void faint(XYSeries s) {
        s.setLineColor(BASELINE).setLineStyle(DASHED);
    }

    private static void objective(XYChart c, Objective o, double[] x) {
        if (x.length == 0) {
            return;
        }
        double lo = Arrays.stream(x).min().orElse(0), hi = Arrays.stream(x).max().orElse(1);
        XYSeries s = c.addSeries("objective " + o.name(), new double[] {lo, hi}, new double[] {o.millis(), o.millis()});
        s.setMarker(SeriesMarkers.NONE).setLineColor(new Color(220, 50, 47)).setLineStyle(DASHED);
    }
}
