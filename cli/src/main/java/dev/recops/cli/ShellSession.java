package dev.recops.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recops.engine.admin.AdminClient;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/** What {@code recops shell} remembers between commands: the server connected to, and how to reach its admin API. */
final class ShellSession {
    private final CommandSpec root;
    private String url;
    private String adminUrl;
    private String tokenFile;

    /** @param root the command tree the shell runs, for which options a command takes */
    ShellSession(CommandSpec root) {
        this.root = root;
    }

    Optional<String> url() {
        return Optional.ofNullable(url);
    }

    /** Runs a built-in ({@code connect}, {@code disconnect}, {@code help}) and returns what to print; null when {@code words} is not one. */
    String builtin(List<String> words) {
        switch (words.getFirst()) {
            case "help", "?" -> {
                return help(words.subList(1, words.size()));
            }
            case "disconnect" -> {
                url = adminUrl = tokenFile = null;
                return "disconnected";
            }
            case "connect" -> {
                if (words.size() < 2 || words.get(1).startsWith("-")) {
                    return "usage: connect URL [--admin-url URL] [--admin-token-file FILE]";
                }
                String u = words.get(1).replaceAll("/+$", "");
                String a = null, t = null;
                for (int i = 2; i < words.size(); i++) {
                    String w = words.get(i);
                    String value = i + 1 < words.size() ? words.get(i + 1) : null;
                    if ((w.equals("--admin-url") || w.equals("--admin-token-file")) && value != null) {
                        if (w.equals("--admin-url")) {
                            a = value;
                        } else {
                            t = value;
                        }
                        i++;
                    } else {
                        return "connect: unknown argument '" + w + "' (connect URL [--admin-url URL] [--admin-token-file FILE])";
                    }
                }
                url = u;
                adminUrl = a;
                tokenFile = t;
                List<String> versions = versions();
                return "connected to " + url + (versions.isEmpty() ? " (not answering /v1/models now)" : ": versions " + String.join(", ", versions));
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * {@code help}: the commands, one line each, and the shell's own; {@code help COMMAND...}: that
     * command's usage (the man page is {@code recops help COMMAND} at a shell prompt).
     */
    private String help(List<String> command) {
        if (!command.isEmpty()) {
            CommandSpec spec = root;
            for (String word : command) {
                CommandLine sub = spec.subcommands().get(word);
                if (sub == null) {
                    return "help: no command '" + String.join(" ", command) + "' (help lists them)";
                }
                spec = sub.getCommandSpec();
            }
            return spec.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();
        }
        StringBuilder b = new StringBuilder("Commands (help COMMAND shows one's options):\n");
        new TreeMap<>(root.subcommands()).forEach((name, sub) -> {
            if (!name.equals("help") && !name.equals("shell") && !name.equals("generate-completion")) {
                String[] description = sub.getCommandSpec().usageMessage().description();
                String first = description.length == 0 ? "" : description[0].replaceFirst("(?s)(?<=[.:;])\\s.*", "");
                b.append(String.format(Locale.ROOT, "  %-16s %s%n", name, first));
            }
        });
        return b.append("Built in:\n")
                .append("  connect URL [--admin-url URL] [--admin-token-file FILE]   fill in --url (and the admin API) for the commands after it\n")
                .append("  disconnect       forget the connection\n")
                .append("  help [COMMAND]   this list, or a command's options\n")
                .append("  exit, quit       leave (or Ctrl-D); Ctrl-C cancels a running command")
                .toString();
    }

    /** The command line with the session's --url, --admin-url and --admin-token-file added where the command takes them and they were not typed. */
    List<String> withContext(List<String> words) {
        CommandSpec spec = root;
        for (String w : words) {
            CommandLine sub = spec.subcommands().get(w);
            if (sub == null) {
                break;
            }
            spec = sub.getCommandSpec();
        }
        List<String> out = new ArrayList<>(words);
        Map<String, String> context = new LinkedHashMap<>();
        if (url != null) {
            context.put("--url", url);
        }
        if (adminUrl != null) {
            context.put("--admin-url", adminUrl);
        }
        if (tokenFile != null) {
            context.put("--admin-token-file", tokenFile);
        }
        for (Map.Entry<String, String> e : context.entrySet()) {
            boolean typed = words.stream().anyMatch(w -> w.equals(e.getKey()) || w.startsWith(e.getKey() + "="));
            if (spec.findOption(e.getKey()) != null && !typed) {
                out.add(e.getKey());
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** The version names the connected server reports in /v1/models (nothing when not connected or not answering within a second). */
    List<String> versions() {
        if (url == null) {
            return List.of();
        }
        AdminClient.Answer r = AdminClient.get(url + "/v1/models", Duration.ofSeconds(1));
        if (r.status() != 200) {
            return List.of();
        }
        try {
            TreeSet<String> names = new TreeSet<>();
            new ObjectMapper().readTree(r.body()).path("versions").forEach(v -> names.add(v.asText()));
            return List.copyOf(names);
        } catch (IOException e) {
            return List.of();
        }
    }
}
