package dev.recops.engine.model;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A directory of models: {@code <root>/<name>/<version>/model.json} plus the files it lists.
 * Scanning reads and validates manifests only; checksums are verified when a version is loaded.
 */
public final class ModelRepository {

    /**
     * The outcome of a scan: the versions whose manifests are valid, and those rejected with why.
     * A bad version never hides the good ones.
     */
    public record Scan(List<ModelVersion> versions, List<Rejected> rejected) {
        public Scan {
            versions = List.copyOf(versions);
            rejected = List.copyOf(rejected);
        }

        /** The versions of one model, oldest first. */
        public List<ModelVersion> versionsOf(String model) {
            return versions.stream().filter(v -> v.name().equals(model)).toList();
        }
    }

    private final Path root;
    /** The model shipped with recops, served when a repository holds it among others. */
    public static final String SHIPPED_MODEL = "search-encoder";

    /**
     * One usable version of a model in a repository: {@code version}, or the highest when empty.
     *
     * @param model empty for the repository's default model
     * @throws dev.recops.engine.RecopsException.PreconditionFailed when there is none
     */
    public static ModelVersion find(Path repo, String model, String version) {
        String name = model.isEmpty() ? defaultModel(repo) : model;
        List<ModelVersion> versions = new ModelRepository(repo).scan().versionsOf(name);
        return (version.isEmpty()
                ? versions.stream().reduce((lower, higher) -> higher) // the scan lists versions in order
                : versions.stream().filter(v -> v.version().equals(version)).findFirst())
                .orElseThrow(() -> new RecopsException.PreconditionFailed("version_missing", "no usable version "
                        + (version.isEmpty() ? "" : version + " ") + "of model " + name + " in " + repo));
    }

    /** A version directory that cannot be used, and the one-line reason. */
    public record Rejected(Path dir, String reason) {}

    /** Orders versions numerically when both are numbers ("2" before "10"), else by text. */
    public static final Comparator<String> VERSION_ORDER = (a, b) -> {
        boolean an = a.chars().allMatch(Character::isDigit) && a.length() < 10;
        boolean bn = b.chars().allMatch(Character::isDigit) && b.length() < 10;
        if (an && bn) {
            return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
        }
        return an != bn ? (an ? -1 : 1) : a.compareTo(b);
    };

    public ModelRepository(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    public Path root() {
        return root;
    }

    /**
     * Lists every version directory under the root and validates its manifest.
     *
     * @throws RecopsException.PreconditionFailed when the root is not a directory
     */
    public Scan scan() {
        if (!Files.isDirectory(root)) {
            throw new RecopsException.PreconditionFailed(
                    "model_repo_missing", "model repository " + root + " not found (see --model-repo)");
        }
        List<ModelVersion> versions = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        for (Path modelDir : children(root)) {
            for (Path versionDir : children(modelDir)) {
                try {
                    ModelManifest manifest = ModelManifest.read(versionDir);
                    versions.add(new ModelVersion(
                            modelDir.getFileName().toString(), versionDir.getFileName().toString(), versionDir, manifest));
                } catch (RecopsException e) {
                    rejected.add(new Rejected(versionDir, e.getMessage()));
                }
            }
        }
        versions.sort(Comparator.comparing(ModelVersion::name).thenComparing(ModelVersion::version, VERSION_ORDER));
        return new Scan(versions, rejected);
    }

    /**
     * The model to serve when none is named: the repository's only model, else the shipped one.
     *
     * @throws RecopsException.InvalidInput when the repository holds several models and not the shipped one
     */
    public static String defaultModel(Path root) {
        if (!Files.isDirectory(root)) {
            return SHIPPED_MODEL; // scan() reports the missing repository
        }
        List<String> models = children(root).stream()
                .filter(m -> children(m).stream().anyMatch(v -> Files.isRegularFile(v.resolve(ModelManifest.FILE_NAME))))
                .map(m -> m.getFileName().toString()).toList();
        if (models.size() == 1) {
            return models.getFirst();
        }
        if (models.isEmpty() || models.contains(SHIPPED_MODEL)) {
            return SHIPPED_MODEL;
        }
        throw new RecopsException.InvalidInput("model_ambiguous", "the model repository " + root + " holds " + String.join(", ", models)
                + ": name one with --model");
    }

    private static List<Path> children(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new RecopsException.Failure("io_error", "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
