package dev.recops.cli;

import dev.recops.engine.admin.AuditLog;
import dev.recops.engine.admin.BearerToken;
import dev.recops.engine.serve.AdminServer;
import dev.recops.engine.serve.SearchService;
import dev.recops.engine.telemetry.ServerMetrics;
import io.helidon.common.tls.Tls;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/** serve's admin API listener: where, its token, its audit log, whether faults may be injected. */
final class AdminListenerOptions {
    @Option(names = "--admin-host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address of the admin API listener (default: ${DEFAULT-VALUE}).")
    String adminHost;

    @Option(names = "--admin-port", paramLabel = "PORT", defaultValue = "8081",
            description = "Port of the admin API, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--no-admin", description = "Do not start the admin API.")
    boolean noAdmin;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            defaultValue = "${sys:recops.config:-${sys:user.home}/.config/recops}/admin-token",
            description = "Bearer token of the admin API; created with a random token (mode 0600) when missing "
                    + "(default: $XDG_CONFIG_HOME/recops/admin-token, else ~/.config/recops/admin-token).")
    Path adminTokenFile;

    @Option(names = "--audit-log", paramLabel = "FILE", description = "Append one JSON line per admin call to FILE (default: the server log).")
    Path auditLogFile;

    @Option(names = "--allow-fault-injection", description = "Let the admin API inject latency, errors or stalls into a version (drills).")
    boolean allowFaultInjection;

    /** The admin API, or null with --no-admin; says where it listens and where its token is. */
    AdminServer start(SearchService service, ServerMetrics metrics, Optional<Tls> tls, PrintWriter err) {
        if (noAdmin) {
            return null;
        }
        BearerToken tokens = BearerToken.open(adminTokenFile);
        AuditLog audit = AuditLog.open(Optional.ofNullable(auditLogFile));
        AdminServer admin = AdminServer.start(adminHost, adminPort, service, tokens, audit, metrics, allowFaultInjection, tls);
        err.printf("recops: admin API on " + (tls.isPresent() ? "https" : "http") + "://%s:%d/admin/v1 (bearer token %s in %s%s)%s%n", adminHost, admin.port(), tokens.id(),
                tokens.file(), tokens.generated() ? ", generated now" : "", allowFaultInjection ? "; fault injection allowed" : "");
        return admin;
    }
}
