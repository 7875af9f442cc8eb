package dev.recops.cli;

import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.serve.RateLimiter;
import dev.recops.engine.serve.ServeServer;
import dev.recops.engine.serve.TlsFiles;
import io.helidon.common.tls.Tls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/** serve's data plane guards: TLS (for both listeners), a bearer token on queries, a rate limit per client. */
final class DataPlaneOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve both listeners over TLS: the PEM certificate chain, leaf first (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert (unencrypted PKCS#8: BEGIN PRIVATE KEY).")
    Path tlsKey;

    @Option(names = "--data-token-file", paramLabel = "FILE",
            description = "Require 'Authorization: Bearer <token>' on queries (/v1/search, /v1/recommend, /v1/embed, v2 infer); "
                    + "the token is read from FILE, created with a random one (mode 0600) when missing. Health and metrics stay open.")
    Path dataTokenFile;

    @Option(names = "--rate-limit", paramLabel = "PER_SECOND",
            description = "Queries a second each client (by address) may send on average; beyond it, 429 with Retry-After. Off by default.")
    Double rateLimit;

    @Option(names = "--rate-limit-burst", paramLabel = "N",
            description = "Queries a client may send at once under --rate-limit (default: the rate, at least 1).")
    Integer rateLimitBurst;

    /** TLS for both listeners, when --tls-cert and --tls-key are given. */
    Optional<Tls> tls(CommandSpec spec) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        return tlsCert == null ? Optional.empty() : Optional.of(TlsFiles.load(tlsCert, tlsKey));
    }

    /** The data plane's optional token and rate limit. */
    void guard(ServeServer server, PrintWriter err, CommandSpec spec) {
        if (dataTokenFile != null) {
            BearerToken token = BearerToken.open(dataTokenFile);
            server.requireToken(token);
            err.printf("recops: queries need the bearer token %s in %s%s%n", token.id(), token.file(), token.generated() ? " (generated now)" : "");
        }
        if (rateLimit != null) {
            int burst = rateLimitBurst != null ? rateLimitBurst : (int) Math.max(1, Math.ceil(rateLimit));
            if (!(rateLimit > 0) || burst < 1) {
                throw new ParameterException(spec.commandLine(), "--rate-limit must be positive and --rate-limit-burst at least 1");
            }
            server.limitRate(new RateLimiter(rateLimit, burst));
        }
    }
}
