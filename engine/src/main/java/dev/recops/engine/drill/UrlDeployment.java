package dev.recops.engine.drill;

import dev.recops.engine.RecopsException;
import dev.recops.engine.admin.AdminClient;
import dev.recops.engine.admin.BearerToken;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A deployment someone else runs: the drill only sends traffic, reads health and metrics, and calls admin APIs. */
final class UrlDeployment implements Deployment {
    private final String url;
    private final List<AdminClient> admins;

    UrlDeployment(String url, List<String> adminUrls, Path adminTokenFile) {
        this.url = url.replaceAll("/+$", "");
        String t = adminTokenFile == null ? "" : BearerToken.readForClient(adminTokenFile);
        this.admins = adminUrls.stream().map(a -> new AdminClient(a.replaceAll("/+$", "") + "/admin/v1", t)).toList();
    }

    @Override
    public String dataUrl() {
        return url;
    }

    @Override
    public List<AdminClient> admins() {
        return admins;
    }

    @Override
    public List<String> readinessUrls() {
        return List.of(url + "/v2/health/ready");
    }

    @Override
    public Map<String, String> balancerView() {
        return Map.of();
    }

    @Override
    public List<String> metricsUrls() {
        return List.of(url + "/metrics");
    }

    @Override
    public void close() {
        // not ours to stop
    }
}
