package dev.recops.engine.drill;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;

/** A deployment someone else runs: the drill only sends traffic, reads health and metrics, and calls admin APIs. */
final class UrlDeployment implements Deployment {
    private final String url;
    private final List<AdminApi> admins;

    UrlDeployment(String url, List<String> adminUrls, java.nio.file.Path adminTokenFile) {
        this.url = url.replaceAll("/+$", "");
        String t = adminTokenFile == null ? "" : dev.recops.engine.admin.BearerToken.readForClient(adminTokenFile);
        this.admins = adminUrls.stream().map(a -> new AdminApi(a.replaceAll("/+$", "") + "/admin/v1", t)).toList();
    }

    @Override
    public String dataUrl() {
        return url;
    }

    @Override
    public List<AdminApi> admins() {
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
