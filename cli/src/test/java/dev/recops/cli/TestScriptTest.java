package dev.recops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * scripts/test on a machine without the tools the tests run: as root with apt-get it installs
 * them and goes on; as anyone else it stops at once with one line naming the packages and the
 * command that installs them. Run with {@code --tools-only} on a PATH of stand-ins: {@code id}
 * says who we are, {@code apt-get} records what it was asked and "installs" stand-in commands.
 */
class TestScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("recops.testdata")).getParent().resolve("scripts/test");
    private static final List<String> ALL = List.of("prometheus", "prometheus-alertmanager", "haproxy", "hey", "tmux", "man-db");

    @TempDir
    Path dir;

    record Ran(int exit, String out, String err) {}

    private Ran run(int uid, boolean withAptGet, String... args) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("bash", "dirname")) {
            if (!Files.exists(bin.resolve(tool), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool).toRealPath());
            }
        }
        script(bin.resolve("id"), "echo " + uid);
        if (withAptGet) {
            // install: a stand-in for every command of the packages asked for
            script(bin.resolve("apt-get"), "echo \"$*\" >> " + dir.resolve("apt-get.log") + "\n"
                    + "case \"$1\" in install) for c in promtool prometheus prometheus-alertmanager haproxy hey tmux man; do\n"
                    + "  printf '#!/bin/sh\\n' > " + bin + "/$c; /bin/chmod +x " + bin + "/$c; done ;; esac");
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(bin.resolve("bash").toString(), SCRIPT.toString(), "--tools-only"));
        pb.command().addAll(List.of(args));
        pb.environment().put("PATH", bin.toString());
        pb.redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Ran(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void withoutRootItStopsWithOneLineNamingThePackagesAndTheirInstallCommand() throws Exception {
        Ran r = run(1000, true);
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err().lines()).singleElement().asString().isEqualTo("scripts/test: the tests run tools from packages not installed here: "
                + String.join(" ", ALL) + "; install them with: sudo apt-get install -y --no-install-recommends " + String.join(" ", ALL));
        assertThat(dir.resolve("apt-get.log")).as("nothing installed").doesNotExist();
    }

    @Test
    void asRootItInstallsWhatIsMissingWithAptGetAndGoesOn() throws Exception {
        Ran r = run(0, true);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("installing what the tests need: " + String.join(" ", ALL));
        assertThat(Files.readAllLines(dir.resolve("apt-get.log"))).containsExactly("update -qq",
                "install -y -qq --no-install-recommends " + String.join(" ", ALL));
        Ran again = run(0, true);
        assertThat(again.exit()).isZero();
        assertThat(again.err()).as("nothing left to install").isEmpty();
    }

    @Test
    void theFastTiersNeedOnlyPromtoolAndAMachineWithoutAptGetIsToldTheDebianNames() throws Exception {
        Ran r = run(0, false, "--fast");
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err().strip()).isEqualTo("scripts/test: the tests run tools from packages not installed here: prometheus; "
                + "install them with: your package manager (Debian names: prometheus)");
    }
}
