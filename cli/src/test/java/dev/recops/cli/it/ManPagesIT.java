package dev.recops.cli.it;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Black box: the distribution's man pages open with man(1), and `recops help` in a pipe prints the usage. */
@Tag("blackbox")
@Timeout(value = 5, unit = TimeUnit.MINUTES) // the launcher at work, with room for a busy runner
class ManPagesIT {
    @Test
    void everyCommandHasAPageThatManRenders() throws Exception {
        Path man1 = LaunchedServer.DIST.resolve("man/man1");
        for (String page : new String[] {"recops", "recops-serve", "recops-bench", "recops-shell", "recops-model-promote", "recops-catalog-embed"}) {
            assertThat(man1.resolve(page + ".1")).as(page).isRegularFile();
        }
        assumeTrue(onPath("man"), "man is not installed (Debian package man-db; scripts/test installs it)");
        Process man = new ProcessBuilder("man", "-l", man1.resolve("recops-serve.1").toString()).redirectErrorStream(true).start();
        String shown = new String(man.getInputStream().readAllBytes());
        assertThat(man.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(man.exitValue()).as(shown).isZero();
        assertThat(shown).contains("RECOPS-SERVE(1)").contains("NAME").contains("recops-serve - Serve search").contains("--hnsw-ef");
    }

    @Test
    void helpInAPipePrintsTheUsage() throws Exception {
        Process help = new ProcessBuilder(LaunchedServer.DIST.resolve("bin/recops").toString(), "help", "model", "promote").start();
        String out = new String(help.getInputStream().readAllBytes());
        assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(help.exitValue()).isZero();
        assertThat(out).startsWith("Usage: recops model promote");
    }

    private static boolean onPath(String tool) {
        return java.util.Arrays.stream(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
