package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.telemetry.PrometheusText;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Display;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code recops top}: a live view of one or more servers from their /metrics (and admin status), refreshed every interval; drawn by {@link TopView}. */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of recops servers from /metrics: per server and version, requests/s, error share, p50 and p99 "
                + "(from histogram deltas), queue depth, mean batch, shed by reason and breaker state; in-flight requests and degraded "
                + "answers per server; a sparkline of the last minute's rate; with --admin-url and --admin-token-file, the traffic split "
                + "and the last automatic canary verdict. Keys: q quits, v switches the view (per version, per server), s the order "
                + "(rate, p99, name). "
                + "A server that does not answer is shown as down. --once prints one interval's snapshot (text or --format json).", ""})
final class TopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "URL", arity = "0..*", description = "Servers to watch (default: --url, else http://127.0.0.1:8080).")
    List<String> urls = new ArrayList<>();

    @Option(names = "--url", paramLabel = "URL", description = "A server to watch when none is given as an argument (the shell's connected server).")
    List<String> urlOptions = new ArrayList<>();

    @Option(names = "--admin-url", paramLabel = "URL", description = "The admin API of the server in the same place of the list; repeatable.")
    List<String> adminUrls = new ArrayList<>();

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.config:-${sys:user.home}/.config/recops}/admin-token",
            description = "The admin token for --admin-url (default: the file serve creates, $XDG_CONFIG_HOME/recops/admin-token).")
    Path adminTokenFile;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "Time between scrapes (default: ${DEFAULT-VALUE}).")
    Duration interval;

    enum View { versions, servers }

    @Option(names = "--view", paramLabel = "VIEW", defaultValue = "versions",
            description = "The view to start with (v switches): ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    View startView;

    @Option(names = "--once", description = "Scrape twice, one interval apart, print that interval and exit.")
    boolean once;

    @Mixin
    OutputOptions output;

    private List<String> servers;
    private List<AdminClient> admins;

    @Override
    public Integer call() throws Exception {
        servers = !urls.isEmpty() ? urls : !urlOptions.isEmpty() ? urlOptions : List.of("http://127.0.0.1:8080");
        admins = adminUrls.isEmpty() ? List.of() : adminUrls.stream().map(u -> AdminClient.of(u, adminTokenFile)).toList();
        TopView view = new TopView(interval, !once);
        view.view = startView.ordinal();
        Map<String, TopView.Scrape> last = scrapeAll();
        if (once) {
            Thread.sleep(interval.toMillis());
            Map<String, TopView.Scrape> now = scrapeAll();
            var out = spec.commandLine().getOut();
            if (output.json()) {
                out.println(view.json(last, now).toPrettyString());
            } else {
                view.lines(last, now).forEach(out::println);
            }
            out.flush();
            return now.values().stream().allMatch(s -> s.error() == null) ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            var attributes = terminal.enterRawMode(); // raw: Ctrl-C arrives as a key
            Display display = new Display(terminal, true);
            NonBlockingReader keys = terminal.reader();
            try {
                while (true) {
                    int key = keys.read(interval.toMillis());
                    if (key == 'q' || key == 'Q' || key == 3 /* Ctrl-C */ || key == NonBlockingReader.EOF) {
                        return ExitCodes.OK;
                    }
                    if (key == 's' || key == 'S') {
                        view.order = (view.order + 1) % TopView.ORDERS.size();
                    }
                    if (key == 'v' || key == 'V') {
                        view.view = (view.view + 1) % TopView.VIEWS.size();
                    }
                    Map<String, TopView.Scrape> now = scrapeAll();
                    display.resize(terminal.getHeight(), terminal.getWidth());
                    int width = terminal.getWidth();
                    // a line wider than the screen would wrap and throw the display's diff off by a row
                    display.update(view.lines(last, now).stream().map(l -> new AttributedString(l).columnSubSequence(0, width)).toList(), -1);
                    last = now;
                }
            } finally {
                terminal.setAttributes(attributes);
                terminal.writer().println();
            }
        }
    }

    private Map<String, TopView.Scrape> scrapeAll() {
        Map<String, TopView.Scrape> out = new LinkedHashMap<>();
        IntStream.range(0, servers.size()).parallel().mapToObj(i -> Map.entry(servers.get(i), scrape(i))).toList()
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private TopView.Scrape scrape(int i) {
        String url = servers.get(i);
        JsonNode admin = null;
        String adminError = null;
        if (i < admins.size()) {
            try {
                admin = admins.get(i).call("GET", "status", Duration.ofSeconds(1));
            } catch (RecopsException e) {
                adminError = e.getMessage();
            }
        }
        AdminClient.Answer r = AdminClient.get(url.replaceAll("/+$", "") + "/metrics", Duration.ofSeconds(1));
        String error = r.status() == 200 ? null
                : r.refused() ? "connection refused"
                : r.status() != 0 ? "HTTP " + r.status()
                : r.failure().getClass().getSimpleName() + (r.failure().getMessage() == null ? "" : ": " + r.failure().getMessage());
        return new TopView.Scrape(System.nanoTime(), error == null ? PrometheusText.parse(r.body()) : List.of(), error, admin, adminError);
    }
}
