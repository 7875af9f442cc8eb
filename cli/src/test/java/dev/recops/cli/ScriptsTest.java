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
 * The repository's own scripts, as a newcomer first meets them. scripts/test on a machine
 * without the tools the tests run: as root with apt-get it installs
 * them and goes on; as anyone else it stops at once with one line naming the packages and the
 * command that installs them. Run with {@code --tools-only} on a PATH of stand-ins: {@code id}
 * says who we are, {@code apt-get} records what it was asked and "installs" stand-in commands.
 */
class ScriptsTest {
    private static final Path ROOT = Path.of(System.getProperty("recops.testdata")).toAbsolutePath().normalize().getParent();
    private static final Path SCRIPT = ROOT.resolve("scripts/test");
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
        ProcessBuilder pb = new ProcessBuilder(new java.util.ArrayList<>(List.of(bin.resolve("bash").toString(), SCRIPT.toString(), "--tools-only")));
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

    /** The launcher's --link puts recops on PATH as a symlink to itself, and never replaces a file that is not one. */
    @Test
    void theLauncherLinksItselfIntoABinDirectoryAndSaysWhenThatIsNotOnPath() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("recops").toString(), "--link").redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString());
        pb.environment().remove("XDG_BIN_HOME");
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = pb.start();
        String said = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(said).isZero();
        Path link = dir.resolve(".local/bin/recops");
        assertThat(Files.readSymbolicLink(link)).isEqualTo(ROOT.resolve("recops"));
        assertThat(said).contains("linked " + link, dir.resolve(".local/bin") + " is not on your PATH");

        Path occupied = Files.createDirectories(dir.resolve("occupied"));
        Files.writeString(occupied.resolve("recops"), "mine");
        Process refused = new ProcessBuilder(ROOT.resolve("recops").toString(), "--link", occupied.toString()).redirectErrorStream(true).start();
        assertThat(new String(refused.getInputStream().readAllBytes())).contains("exists and is not a link; not replacing it");
        assertThat(refused.waitFor()).isEqualTo(4);
        assertThat(Files.readString(occupied.resolve("recops"))).isEqualTo("mine");
    }

    /** The first build's progress, as the launcher shows it off a terminal: a line per module, the downloads counted and summed. */
    @Test
    void theBuildProgressNamesEachModuleAndCountsTheDownloads() throws Exception {
        String maven = """
                [INFO] Building recops 0.1.0-SNAPSHOT                                     [1/5]
                Downloaded from central: https://repo/a.pom (2.0 kB at 10 kB/s)
                [INFO] Building recops engine 0.1.0-SNAPSHOT                              [3/5]
                Downloaded from central: https://repo/b.jar (137 MB at 20 MB/s)
                Downloaded from central: https://repo/c.jar (512 B at 1 kB/s)
                [INFO] BUILD SUCCESS
                """;
        Process p = new ProcessBuilder("awk", "-v", "tty=0", "-f", ROOT.resolve("scripts/lib/build-progress.awk").toString()).start();
        try (var in = p.getOutputStream()) {
            in.write(maven.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String shown = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(shown.lines()).containsExactly("recops: building [1/5] recops; 0 files downloaded (0 kB)",
                "recops: building [3/5] recops engine; 1 file downloaded (2 kB)", "recops: downloaded 3 files (137 MB) from Maven Central");
    }
}
