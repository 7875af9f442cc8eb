package dev.recops.engine;

import dev.recops.engine.model.ModelRepository;
import dev.recops.engine.model.ModelVersion;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put the default model repository and the shipped test data. */
public final class TestData {
    private TestData() {}

    public static Path models() {
        return existing(Path.of(System.getProperty("recops.defaultModels", "target/default-models")));
    }

    public static Path testdata() {
        return existing(Path.of(System.getProperty("recops.testdata", "../testdata")));
    }

    public static Path esciProducts() {
        return testdata().resolve("esci/products.csv");
    }

    public static ModelVersion version(String version) {
        return new ModelRepository(models()).scan().versionsOf("search-encoder").stream()
                .filter(v -> v.version().equals(version))
                .findFirst()
                .orElseThrow();
    }

    private static Path existing(Path p) {
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException(p.toAbsolutePath() + " is missing: run the tests through Maven");
        }
        return p;
    }
}
