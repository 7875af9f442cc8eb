package dev.recops.analysis.review;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TimeZone;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * The postmortem's PNG charts (XChart, headless): latency percentiles and error, degraded and
 * shed shares per minute, the incident window shaded, events as dashed vertical lines and each
 * latency objective as a horizontal line.
 */
public final class Charts {
    /** Files the charts are written to, relative to their directory. */
    public static final String LATENCY = "latency.png";
    public static final String ERRORS = "errors.png";

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 420;
    private static final Color SHADE = new Color(220, 50, 47, 40);
    private static final Color EVENT = new Color(60, 60, 60);

    private Charts() {}

    /**
     * Loads Java2D, its fonts and XChart on a background thread (about half a second here), so
     * that it overlaps reading the logs; {@link #write} then finds them ready.
     */
    public static void warmUp() {
        Thread t = new Thread(() -> {
            System.setProperty("java.awt.headless", "true");
            XYChart c = chart("warm-up", "ms");
            c.addSeries("x", new double[] {0, 1}, new double[] {0, 1}).setMarker(SeriesMarkers.NONE);
            try {
                ImageIO.write(BitmapEncoder.getBufferedImage(c), "png", OutputStream.nullOutputStream());
            } catch (IOException e) {
                // only a warm-up: write() reports real failures
            }
        }, "charts-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** Writes {@link #LATENCY} and {@link #ERRORS} into {@code dir} (created) and returns their paths. */
    public static List<Path> write(Path dir, List<Timeline.Minute> minutes, List<MinuteObjective> objectives, Optional<Incident.Found> incident,
                                   List<Events.Event> events) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        // each minute at its middle, so the shaded window [start, end) covers exactly its minutes
        List<Date> x = minutes.stream().map(m -> Date.from(m.start().plusSeconds(30))).toList();

        XYChart latency = chart("Latency per minute", "ms");
        line(latency, "p50", x, minutes, Timeline.Minute::p50);
        line(latency, "p95", x, minutes, Timeline.Minute::p95);
        line(latency, "p99", x, minutes, Timeline.Minute::p99);
        line(latency, "p99.9", x, minutes, Timeline.Minute::p999);
        double latencyTop = max(minutes, Timeline.Minute::p999);
        for (MinuteObjective o : objectives) {
            if (o.metric() != MinuteObjective.Metric.ERRORS) {
                latency.addAnnotation(new AnnotationLine(o.bound(), false, false));
                latencyTop = Math.max(latencyTop, o.bound());
            }
        }
        decorate(latency, minutes, incident, events, latencyTop * 1.08);

        XYChart errors = chart("Errors, degraded and shed answers per minute", "% of requests");
        // shed answers are 503s, so errors (5xx) are at least as high: drawn wider, underneath
        line(errors, "errors (5xx)", x, minutes, m -> 100 * m.errorRate()).setLineWidth(4f);
        line(errors, "degraded", x, minutes, m -> 100 * m.degradedShare());
        line(errors, "shed (503)", x, minutes, m -> 100 * m.shedShare());
        double errorsTop = Math.max(1, Math.max(max(minutes, m -> 100 * m.errorRate()),
                Math.max(max(minutes, m -> 100 * m.degradedShare()), max(minutes, m -> 100 * m.shedShare()))));
        for (MinuteObjective o : objectives) {
            if (o.metric() == MinuteObjective.Metric.ERRORS) {
                errors.addAnnotation(new AnnotationLine(100 * o.bound(), false, false));
                errorsTop = Math.max(errorsTop, 100 * o.bound());
            }
        }
        decorate(errors, minutes, incident, events, errorsTop * 1.08);

        Path latencyFile = dir.resolve(LATENCY);
        Path errorsFile = dir.resolve(ERRORS);
        BitmapEncoder.saveBitmap(latency, latencyFile.toString(), BitmapEncoder.BitmapFormat.PNG);
        BitmapEncoder.saveBitmap(errors, errorsFile.toString(), BitmapEncoder.BitmapFormat.PNG);
        return List.of(latencyFile, errorsFile);
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("UTC").yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE)
                .setChartBackgroundColor(Color.WHITE)
                .setAnnotationLineColor(EVENT)
                .setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f))
                .setAnnotationTextFontColor(EVENT);
        c.getStyler().setTimezone(TimeZone.getTimeZone("UTC")).setDatePattern("HH:mm").setLocale(Locale.ROOT);
        c.getStyler().setPlotGridLinesColor(new Color(230, 230, 230)).setYAxisMin(0.0);
        return c;
    }

    private static XYSeries line(XYChart c, String name, List<Date> x, List<Timeline.Minute> minutes, ToDoubleFunction<Timeline.Minute> y) {
        List<Double> values = minutes.stream().map(m -> y.applyAsDouble(m)).toList();
        XYSeries s = c.addSeries(name, x, values);
        s.setMarker(SeriesMarkers.NONE);
        return s;
    }

    /** Fixes the y range, shades the incident and marks the events inside the period. */
    private static void decorate(XYChart c, List<Timeline.Minute> minutes, Optional<Incident.Found> incident, List<Events.Event> events,
                                 double top) {
        c.getStyler().setYAxisMax(top);
        incident.ifPresent(f -> {
            List<Date> x = List.of(Date.from(f.start()), Date.from(f.start()), Date.from(f.end()), Date.from(f.end()));
            XYSeries s = c.addSeries("incident", x, List.of(0.0, top, top, 0.0));
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea).setMarker(SeriesMarkers.NONE);
            s.setFillColor(SHADE);
            s.setLineColor(SHADE);
        });
        if (minutes.isEmpty()) {
            return;
        }
        Instant first = minutes.getFirst().start();
        Instant last = minutes.getLast().start().plusSeconds(60);
        List<Events.Event> inside = new ArrayList<>();
        for (Events.Event e : events) {
            if (!e.at().isBefore(first) && e.at().isBefore(last)) {
                inside.add(e);
            }
        }
        for (int i = 0; i < inside.size(); i++) {
            Events.Event e = inside.get(i);
            double at = e.at().toEpochMilli();
            c.addAnnotation(new AnnotationLine(at, true, false));
            // labels step down so that neighbouring events stay readable
            c.addAnnotation(new AnnotationText(label(e.what()), at, top * (0.95 - 0.07 * (i % 4)), false));
        }
    }

    private static String label(String what) {
        return what.length() <= 28 ? what : what.substring(0, 27) + "…";
    }

    private static double max(List<Timeline.Minute> minutes, ToDoubleFunction<Timeline.Minute> f) {
        return minutes.stream().mapToDouble(f).filter(Double::isFinite).max().orElse(1);
    }
}
