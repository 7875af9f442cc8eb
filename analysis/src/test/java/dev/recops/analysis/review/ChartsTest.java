package dev.recops.analysis.review;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;

import static org.assertj.core.api.Assertions.assertThat;

class ChartsTest {
    @Test
    void shadesTheIncidentAndMarksTheEventsOnBothCharts(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.jsonl");
        try (Writer w = Files.newBufferedWriter(f)) {
            ReviewTest.write(w, 5);
        }
        var table = AccessLogs.read(List.of(f), null, null).table();
        List<Timeline.Minute> minutes = Timeline.perMinute(table);
        List<MinuteObjective> objectives = List.of(MinuteObjective.parse("p99<=50ms"));
        Optional<Incident.Found> incident = Incident.find(table, minutes, objectives);
        assertThat(incident).isPresent();
        List<Events.Event> events = List.of(new Events.Event(Instant.parse("2026-11-22T10:04:40Z"), "promote search-encoder 2", "test"));

        List<Path> with = Charts.write(dir.resolve("with"), minutes, objectives, incident, events);
        List<Path> without = Charts.write(dir.resolve("without"), minutes, objectives, Optional.empty(), List.of());
        assertThat(with).extracting(p -> p.getFileName().toString()).containsExactly(Charts.LATENCY, Charts.ERRORS);
        for (int i = 0; i < with.size(); i++) {
            BufferedImage shaded = ImageIO.read(with.get(i).toFile());
            BufferedImage plain = ImageIO.read(without.get(i).toFile());
            assertThat(shaded.getWidth()).isEqualTo(1000);
            assertThat(shaded.getHeight()).isEqualTo(420);
            // the shade is a light red no line or text uses (bar a few anti-aliased line edges)
            assertThat(shadePixels(shaded)).as(with.get(i).toString()).isGreaterThan(50_000);
            assertThat(shadePixels(plain)).isLessThan(500);
        }
    }

    /** Pixels that are clearly reddish and light: the incident's translucent fill over white or grid lines. */
    private static int shadePixels(BufferedImage img) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (r > 220 && r - g > 20 && r - b > 20 && Math.abs(g - b) < 12) {
                    n++;
                }
            }
        }
        return n;
    }
}
