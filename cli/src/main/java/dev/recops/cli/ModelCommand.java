package dev.recops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recops.engine.model.ManifestSignature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code recops model}: verify a model version before deployment, and drive a running server's versions. */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        subcommands = {ModelVerifyCommand.class, ModelImportCommand.class},
        description = {
            "Model lifecycle: verify a version directory (a CI gate before deployment), and list, load, unload, promote or "
                    + "roll back versions of a running server through its admin API.",
            ""
        })
final class ModelCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Create an Ed25519 key pair for signing manifests: PREFIX.pem (private, mode 0600) and PREFIX.pub.pem.")
    int keygen(@Mixin OutputOptions output, @Parameters(paramLabel = "PREFIX") Path prefix) {
        Path priv = Path.of(prefix + ".pem");
        Path pub = Path.of(prefix + ".pub.pem");
        ManifestSignature.generate(priv, pub);
        print(output, JsonNodeFactory.instance.objectNode().put("private_key", priv.toString())
                .put("public_key", pub.toString()), "wrote " + priv + " (keep it secret) and " + pub + " (give it to serve --trusted-key)");
        return ExitCodes.OK;
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Sign a version's model.json (which holds every file's SHA-256) with an Ed25519 private key: writes model.json.sig.")
    int sign(@Mixin OutputOptions output, @Parameters(paramLabel = "DIR") Path dir,
            @Option(names = "--key", paramLabel = "FILE", required = true, description = "PEM private key (recops model keygen).") Path key) {
        ManifestSignature.sign(dir, ManifestSignature.readPrivateKey(key));
        Path sig = dir.resolve(ManifestSignature.SIGNATURE_FILE);
        print(output, JsonNodeFactory.instance.objectNode().put("signature", sig.toString()), "wrote " + sig);
        return ExitCodes.OK;
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the primary, the rollback target, loaded versions and faults.")
    int status(@Mixin AdminOptions admin, @Mixin OutputOptions output) {
        JsonNode s = admin.client().call("GET", "status", Duration.ofSeconds(10));
        print(output, s, String.format("%s: primary %s, last known good %s, loaded %s; fault injection %s, active faults: %s",
                s.path("model").asText(), s.path("primary_version").asText(), orNone(s.path("last_known_good").asText()),
                join(s.path("loaded_versions")), s.path("fault_injection").path("allowed").asBoolean() ? "allowed" : "off",
                s.path("fault_injection").path("active").isEmpty() ? "none" : s.path("fault_injection").path("active").toString()));
        return ExitCodes.OK;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the versions in the server's model repository.")
    int list(@Mixin AdminOptions admin, @Mixin OutputOptions output) {
        JsonNode v = admin.client().call("GET", "versions", Duration.ofSeconds(10));
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-10s %-8s %-8s %s", "VERSION", "LOADED", "PRIMARY", "NOTE"));
        for (JsonNode n : v.path("versions")) {
            lines.add(String.format("%-10s %-8s %-8s %s", n.path("version").asText(), n.path("loaded").asBoolean() ? "yes" : "no",
                    n.path("primary").asBoolean() ? "yes" : "", n.path("valid").asBoolean(true) ? "" : "invalid: " + n.path("reason").asText()));
        }
        print(output, v, String.join("\n", lines));
        return ExitCodes.OK;
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = "Load a version beside the serving ones (verified, warmed up, catalog embedded); exit 3 when it is rejected.")
    int load(@Mixin AdminOptions admin, @Mixin OutputOptions output, @Parameters(paramLabel = "VERSION") String version) {
        JsonNode r = admin.client().call("POST", "versions/" + version + "/load", Duration.ofMinutes(10));
        print(output, r, "loaded version " + version + " in " + r.path("load_seconds").asText() + " s");
        return ExitCodes.OK;
    }

    @Command(name = "unload", mixinStandardHelpOptions = true, description = "Stop serving a version that is not the primary.")
    int unload(@Mixin AdminOptions admin, @Mixin OutputOptions output, @Parameters(paramLabel = "VERSION") String version) {
        JsonNode r = admin.client().call("POST", "versions/" + version + "/unload", Duration.ofMinutes(1));
        print(output, r, "unloaded version " + version + (r.path("freed").asBoolean(true) ? ""
                : "; requests still hold it, and its model is freed when they end"));
        return ExitCodes.OK;
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a loaded version the primary, atomically; the old primary becomes the rollback target.")
    int promote(@Mixin AdminOptions admin, @Mixin OutputOptions output, @Parameters(paramLabel = "VERSION") String version) {
        JsonNode r = admin.client().call("POST", "versions/" + version + "/promote", Duration.ofSeconds(30));
        print(output, r, "primary is now version " + version + " (was " + r.path("previous").asText() + ")");
        return ExitCodes.OK;
    }

    @Command(name = "traffic", mixinStandardHelpOptions = true,
            description = "Show the traffic policy, or set it: --canary VERSION --percent N sends N%% of routing keys "
                    + "(X-Recops-Key, else each request) to the canary; --shadow VERSION copies searches to a version whose answers "
                    + "are discarded and measured. Parts not given are cleared.")
    int traffic(@Mixin AdminOptions admin, @Mixin OutputOptions output,
            @Option(names = "--canary", paramLabel = "VERSION") String canary,
            @Option(names = "--percent", paramLabel = "N", defaultValue = "0") int percent,
            @Option(names = "--shadow", paramLabel = "VERSION") String shadow,
            @Option(names = "--clear", description = "Remove the canary and the shadow.") boolean clear) {
        JsonNode r;
        if (canary == null && shadow == null && !clear) {
            r = admin.client().call("GET", "traffic", Duration.ofSeconds(10));
        } else {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            if (canary != null) {
                body.putObject("canary").put("version", canary).put("percent", percent);
            }
            if (shadow != null) {
                body.put("shadow", shadow);
            }
            r = admin.client().call("PUT", "traffic", body.toString(), Duration.ofSeconds(10));
        }
        String c = r.path("canary").path("version").asText();
        print(output, r, String.format("primary %s; canary %s; shadow %s", r.path("primary_version").asText(),
                c.isEmpty() ? "none" : c + " at " + r.path("canary").path("percent").asInt() + "%",
                orNone(r.path("shadow").asText())));
        return ExitCodes.OK;
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Return to the last known good version.")
    int rollback(@Mixin AdminOptions admin, @Mixin OutputOptions output) {
        JsonNode r = admin.client().call("POST", "rollback", Duration.ofSeconds(30));
        print(output, r, "rolled back: primary is now version " + r.path("primary_version").asText());
        return ExitCodes.OK;
    }

    private void print(OutputOptions output, JsonNode json, String text) {
        output.print(spec.commandLine().getOut(), json, text);
    }

    private static String join(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(n -> items.add(n.asText()));
        return items.isEmpty() ? "none" : String.join(", ", items);
    }

    private static String orNone(String s) {
        return s.isEmpty() ? "none" : s;
    }
}
