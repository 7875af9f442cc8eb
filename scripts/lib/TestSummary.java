import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * scripts/test's closing summary, read from the JUnit XML reports Maven left: tests, failures,
 * skips and time per tier, every skipped test with its reason, then the plain closing line
 * "N passed, N failed, N skipped".
 *
 * <p>Each tier is a test pass of its own, selected by JUnit tag and reported into its own
 * directory under {@code MODULE/target}: {@code surefire-reports} the unit tests (untagged),
 * {@code command-reports} the command tests ({@code command}), {@code fuzz-reports} the fuzz
 * campaigns ({@code fuzz}), {@code failsafe-reports} the black-box tests ({@code blackbox}). A
 * tier's time is the sum of its test classes' times (the passes run one after another); the
 * build is the rest.
 *
 * <p>Usage: {@code java scripts/lib/TestSummary.java ROOT WALL_SECONDS}
 */
public class TestSummary {
    record Count(int tests, int failed, int skipped, double seconds, List<String> skips, List<String> failures) {
        static Count empty() {
            return new Count(0, 0, 0, 0, new ArrayList<>(), new ArrayList<>());
        }
    }

    /** The modules the root pom lists, so that a new one's tests count without a change here. */
    static List<String> modules(Path root) throws IOException {
        Matcher m = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>").matcher(Files.readString(root.resolve("pom.xml")));
        List<String> modules = new ArrayList<>();
        while (m.find()) {
            modules.add(m.group(1));
        }
        return modules;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        double wall = Double.parseDouble(args[1]);
        Map<String, Count> tiers = new LinkedHashMap<>();
        for (String tier : List.of("unit", "command", "fuzz", "black-box")) {
            tiers.put(tier, Count.empty());
        }
        for (String module : modules(root)) {
            Path target = root.resolve(module).resolve("target");
            add(tiers, "unit", target.resolve("surefire-reports"));
            add(tiers, "command", target.resolve("command-reports"));
            add(tiers, "fuzz", target.resolve("fuzz-reports"));
            add(tiers, "black-box", target.resolve("failsafe-reports"));
        }
        int tests = 0;
        int failed = 0;
        int skipped = 0;
        double inTests = 0;
        System.out.println();
        System.out.printf("%-10s %6s %7s %8s %9s%n", "tier", "tests", "failed", "skipped", "time");
        for (var e : tiers.entrySet()) {
            Count c = e.getValue();
            String time = c.tests() == 0 ? "not run" : minutes(c.seconds());
            System.out.printf("%-10s %6d %7d %8d %9s%n", e.getKey(), c.tests(), c.failed(), c.skipped(), time);
            tests += c.tests();
            failed += c.failed();
            skipped += c.skipped();
            inTests += c.seconds();
        }
        System.out.printf("%-10s %33s%n", "build", minutes(Math.max(0, wall - inTests)));
        System.out.printf("%-10s %33s%n", "total", minutes(wall));
        for (var e : tiers.entrySet()) {
            for (String s : e.getValue().skips()) {
                System.out.println("skipped (" + e.getKey() + "): " + s);
            }
            for (String f : e.getValue().failures()) {
                System.out.println("FAILED (" + e.getKey() + "): " + f);
            }
        }
        System.out.printf("%d passed, %d failed, %d skipped%n", tests - failed - skipped, failed, skipped);
    }

    private static void add(Map<String, Count> tiers, String tier, Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> reports;
        try (Stream<Path> s = Files.list(dir)) {
            reports = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
        }
        Count c = tiers.get(tier);
        int tests = c.tests();
        int failed = c.failed();
        int skipped = c.skipped();
        double seconds = c.seconds();
        var factory = DocumentBuilderFactory.newInstance();
        for (Path report : reports) {
            Element suite = parse(factory, report);
            seconds += number(suite.getAttribute("time"));
            NodeList cases = suite.getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element t = (Element) cases.item(i);
                String name = t.getAttribute("classname") + "." + t.getAttribute("name");
                tests++;
                if (t.getElementsByTagName("skipped").getLength() > 0) {
                    skipped++;
                    String why = ((Element) t.getElementsByTagName("skipped").item(0)).getAttribute("message");
                    c.skips().add(name + (why.isBlank() ? "" : ": " + why.lines().findFirst().orElse("")));
                } else if (t.getElementsByTagName("failure").getLength() + t.getElementsByTagName("error").getLength() > 0) {
                    failed++;
                    c.failures().add(name);
                }
            }
        }
        tiers.put(tier, new Count(tests, failed, skipped, seconds, c.skips(), c.failures()));
    }

    private static Element parse(DocumentBuilderFactory factory, Path report) throws Exception {
        try (var in = Files.newInputStream(report)) {
            return factory.newDocumentBuilder().parse(in).getDocumentElement();
        } catch (IOException e) {
            throw new IOException(report + ": " + e.getMessage(), e);
        }
    }

    private static double number(String s) {
        try {
            return s.isBlank() ? 0 : Double.parseDouble(s.replace(",", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String minutes(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
