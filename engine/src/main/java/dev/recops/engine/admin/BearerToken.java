package dev.recops.engine.admin;

import dev.recops.engine.RecopsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * A bearer token (the admin API's, or the data plane's): read from a file, or generated on first start into a file only
 * its owner can read (0600). Requests are checked in constant time (digests compared with
 * {@link MessageDigest#isEqual}); the token itself is never logged, only its id (the first 12
 * hex digits of its SHA-256).
 */
public final class BearerToken {
    /** Tokens shorter than this are refused: guessable. */
    static final int MIN_LENGTH = 16;

    private final byte[] digest;
    private final String id;
    private final Path file;
    private final boolean generated;

    private BearerToken(String token, Path file, boolean generated) {
        this.digest = sha256(token);
        this.id = HexFormat.of().formatHex(digest, 0, 6);
        this.file = file;
        this.generated = generated;
    }

    /**
     * Reads the token from {@code file}, creating the file with a new random token (mode 0600) when
     * it does not exist. The file must hold one line of at least {@value #MIN_LENGTH} characters.
     *
     * @throws RecopsException.PreconditionFailed when the file cannot be read or written, or is
     *     readable by others
     * @throws RecopsException.InvalidInput when the token in it is too short
     */
    public static BearerToken open(Path file) {
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            checkPrivate(file);
            if (token.length() < MIN_LENGTH || token.contains("\n")) {
                throw new RecopsException.InvalidInput("weak_token",
                        "the token in " + file + " must be one line of at least " + MIN_LENGTH + " characters");
            }
            return new BearerToken(token, file, false);
        } catch (NoSuchFileException e) {
            return generate(file);
        } catch (IOException e) {
            throw new RecopsException.PreconditionFailed("token_unreadable", "cannot read the token " + file + ": " + e.getMessage());
        }
    }

    /**
     * Reads a token for a client of the admin API (recops model, drills against a URL): one line
     * of visible ASCII, never echoed in an error, since it is a secret.
     *
     * @throws RecopsException.PreconditionFailed when the file is missing or unreadable
     * @throws RecopsException.InvalidInput when it is not one line of visible characters
     */
    public static String readForClient(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new RecopsException.PreconditionFailed("admin_token_missing",
                    "admin token file " + file + " not found (see --admin-token-file; serve creates it on first start)");
        } catch (IOException | UncheckedIOException e) {
            throw new RecopsException.PreconditionFailed("admin_token_unreadable", "cannot read the admin token file " + file);
        }
        if (token.isEmpty() || !token.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new RecopsException.InvalidInput("bad_token", "the admin token file " + file
                    + " must hold one line of visible characters (the token serve wrote there)");
        }
        return token;
    }

    private static BearerToken generate(Path file) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
            return new BearerToken(token, file, true);
        } catch (FileAlreadyExistsException e) {
            return open(file); // another process created it first
        } catch (IOException | UnsupportedOperationException e) {
            throw new RecopsException.PreconditionFailed("token_unwritable", "cannot create the token " + file + ": " + e.getMessage());
        }
    }

    private static void checkPrivate(Path file) throws IOException {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                throw new RecopsException.PreconditionFailed("token_exposed",
                        "the token " + file + " is readable by others; chmod 600 it");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }

    /** Where the token is. */
    public Path file() {
        return file;
    }

    /** True when this start created the token file. */
    public boolean generated() {
        return generated;
    }

    /** The token's id for logs and the audit trail; never the token. */
    public String id() {
        return id;
    }

    /**
     * @param authorization the {@code Authorization} header, if any
     * @return the token id when the header carries the token as {@code Bearer <token>}
     */
    public Optional<String> authenticate(Optional<String> authorization) {
        String value = authorization.orElse("");
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            MessageDigest.isEqual(digest, sha256("")); // the same work either way
            return Optional.empty();
        }
        return MessageDigest.isEqual(digest, sha256(value.substring(7).strip())) ? Optional.of(id) : Optional.empty();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
